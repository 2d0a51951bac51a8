#ifndef CCAIRO_SHIM_H
#define CCAIRO_SHIM_H
/* Cairo draws the analyzers' figures: anti-aliased vector paths and text (toy text API with the
   DejaVu fonts from fonts-dejavu-core), written to PNG. */
#include <cairo/cairo.h>
#endif
