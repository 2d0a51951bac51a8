#ifndef CTURBOJPEG_SHIM_H
#define CTURBOJPEG_SHIM_H
/* TurboJPEG 2.x API (Debian 12 ships libjpeg-turbo 2.1): tjInitDecompress, tjDecompress2. */
#include <turbojpeg.h>
#endif
