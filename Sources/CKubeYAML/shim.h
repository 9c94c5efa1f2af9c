// libyaml needs no variadic wrappers; this header only pins the include.
#ifndef CKUBEYAML_SHIM_H
#define CKUBEYAML_SHIM_H
#include <yaml.h>
#endif
