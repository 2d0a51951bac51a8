// DISPATCH(level, name, args...): calls name_avx512, name_avx2 or name_sse2, never above what the CPU
// supports. Included by each kernel file after its variants.
#ifndef LOUPE_DISPATCH_H
#define LOUPE_DISPATCH_H
#if defined(__x86_64__)
#define DISPATCH(level, name, ...)                                                                          \
    switch ((level) < loupe_isa_supported() ? (level) : loupe_isa_supported()) {                            \
    case LOUPE_ISA_AVX512: name##_avx512(__VA_ARGS__); break;                                               \
    case LOUPE_ISA_AVX2: name##_avx2(__VA_ARGS__); break;                                                   \
    default: name##_sse2(__VA_ARGS__); break;                                                               \
    }
#else
#define DISPATCH(level, name, ...) ((void)(level), name##_sse2(__VA_ARGS__));
#endif
#endif
