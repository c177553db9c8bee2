#include <kissfft/kiss_fft.h>
#include <kissfft/kiss_fftr.h>
