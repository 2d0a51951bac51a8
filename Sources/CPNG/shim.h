#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H
/* Only libpng's simplified png_image API is used: the classic API longjmps on errors, which Swift
   cannot catch. */
#include <png.h>
#endif
