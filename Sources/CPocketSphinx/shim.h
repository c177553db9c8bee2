// PocketSphinx 5 (scripts/bootstrap builds it into /usr/local; found through
// its pocketsphinx.pc). Its static library needs libm, hence `link "m"`.
#include <pocketsphinx.h>
