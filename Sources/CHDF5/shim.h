#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H
/* Debian's serial HDF5. hdf5.h includes its siblings with quotes, so this path needs no -I. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <hdf5/serial/hdf5.h>
#include <hdf5/serial/hdf5_hl.h>

/* HDF5's type and property-class ids are macros of the form (H5open(), global): Swift cannot import
   a comma expression, so each one the Swift layer needs is wrapped here. */
static inline hid_t chdf5_T_NATIVE_FLOAT(void)   { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_T_NATIVE_DOUBLE(void)  { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_T_NATIVE_INT8(void)    { return H5T_NATIVE_INT8; }
static inline hid_t chdf5_T_NATIVE_INT16(void)   { return H5T_NATIVE_INT16; }
static inline hid_t chdf5_T_NATIVE_INT32(void)   { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_T_NATIVE_INT64(void)   { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_T_NATIVE_UINT8(void)   { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_T_NATIVE_UINT16(void)  { return H5T_NATIVE_UINT16; }
static inline hid_t chdf5_T_NATIVE_UINT32(void)  { return H5T_NATIVE_UINT32; }
static inline hid_t chdf5_T_NATIVE_UINT64(void)  { return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_T_IEEE_F32LE(void)     { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_T_C_S1(void)           { return H5T_C_S1; }
static inline hid_t chdf5_P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_P_DATASET_XFER(void)   { return H5P_DATASET_XFER; }
static inline hid_t chdf5_P_FILE_ACCESS(void)    { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_P_FILE_CREATE(void)    { return H5P_FILE_CREATE; }
static inline hid_t chdf5_P_LINK_CREATE(void)    { return H5P_LINK_CREATE; }
static inline hid_t chdf5_P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
/* These import, but as Int32 rather than hid_t. */
static inline hid_t chdf5_P_DEFAULT(void)        { return H5P_DEFAULT; }
static inline hid_t chdf5_S_ALL(void)            { return H5S_ALL; }
static inline hid_t chdf5_E_DEFAULT(void)        { return H5E_DEFAULT; }
static inline unsigned chdf5_F_ACC_TRUNC(void)   { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_F_ACC_EXCL(void)    { return H5F_ACC_EXCL; }
static inline unsigned chdf5_F_ACC_RDONLY(void)  { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_F_ACC_RDWR(void)    { return H5F_ACC_RDWR; }
static inline size_t  chdf5_T_VARIABLE(void)     { return H5T_VARIABLE; }
static inline hsize_t chdf5_S_UNLIMITED(void)    { return H5S_UNLIMITED; }

/* IEEE binary16, little-endian: HDF5 1.10 has no predefined half type, so derive it from F32LE the way
   h5py does; h5py then reads it back as numpy float16. The caller closes the returned id. */
static inline hid_t chdf5_make_f16(void) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0) return t;
    if (H5Tset_fields(t, 15, 10, 5, 0, 10) < 0 ||
        H5Tset_size(t, 2) < 0 ||
        H5Tset_ebias(t, 15) < 0) { H5Tclose(t); return -1; }
    return t;
}

/* float32 <-> IEEE half for float16 datasets. HDF5's own soft conversion and Swift's Float16(Float) are
   software paths (~40 M values/s here); F16C converts 8 values per instruction, round to nearest even. */
#if defined(__x86_64__)
#include <immintrin.h>
static inline int chdf5_has_f16c(void) { __builtin_cpu_init(); return __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx"); }
__attribute__((target("f16c,avx")))
static inline void chdf5_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    for (; i < n; i++) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}
__attribute__((target("f16c,avx")))
static inline void chdf5_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++) dst[i] = _cvtsh_ss(src[i]);
}
#else
static inline int chdf5_has_f16c(void) { return 0; }
static inline void chdf5_f32_to_f16(const float *src, uint16_t *dst, size_t n) { (void)src; (void)dst; (void)n; }
static inline void chdf5_f16_to_f32(const uint16_t *src, float *dst, size_t n) { (void)src; (void)dst; (void)n; }
#endif

/* Starts writing a file's dirty pages to disk without waiting for them (Linux sync_file_range with
   SYNC_FILE_RANGE_WRITE, called through syscall(2): glibc declares it only under _GNU_SOURCE). Advisory: a
   later fsync still makes the data durable, and has less left to wait for. Returns 0, or -1 with errno. */
#include <sys/syscall.h>
#include <unistd.h>
static inline int chdf5_start_writeback(int fd) {
#if defined(__linux__) && defined(SYS_sync_file_range)
    return (int)syscall(SYS_sync_file_range, fd, (long long)0, (long long)0, 2u /* SYNC_FILE_RANGE_WRITE */);
#else
    (void)fd; return 0;
#endif
}

/* Opens `path` for writing with O_DIRECT (the device reads straight from the caller's memory, no page-cache
   copy), close-on-exec. glibc declares O_DIRECT only under _GNU_SOURCE; __O_DIRECT is its value either way.
   Returns the descriptor, or -1 with errno (EINVAL where the file system has no direct I/O). */
#include <fcntl.h>
static inline int chdf5_open_direct(const char *path) {
#if defined(__linux__) && defined(__O_DIRECT)
    return open(path, O_WRONLY | O_CLOEXEC | __O_DIRECT);
#else
    (void)path; errno = EINVAL; return -1;
#endif
}

/* Sets what `H5Dget_offset` needs for a dataset written outside HDF5: space allocated when the dataset is
   created, and never filled (the writer fills every row). */
static inline herr_t chdf5_set_preallocated(hid_t dcpl) {
    if (H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0) return -1;
    return H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
}
/* HADDR_UNDEF is a cast expression Swift does not import. */
static inline int chdf5_addr_defined(haddr_t a) { return a != HADDR_UNDEF; }

/* Stops HDF5 printing its error stack to stderr; the Swift layer collects the messages itself. */
static inline herr_t chdf5_silence_errors(void)  { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* Walks the default error stack and copies the innermost description into buf: the library's own
   words for the last failure. Returns the number of bytes written (0 when the stack is empty). */
typedef struct { char *buf; size_t cap; size_t len; } chdf5_msg_t;
static inline herr_t chdf5__walk(unsigned n, const H5E_error2_t *e, void *data) {
    chdf5_msg_t *m = (chdf5_msg_t *)data;
    const char *d = e->desc ? e->desc : "";
    const char *f = e->func_name ? e->func_name : "";
    char line[512];
    int k = snprintf(line, sizeof line, "%s%s(): %s", m->len ? "; " : "", f, d);
    if (k < 0) return 0;
    size_t need = (size_t)k;
    if (m->len + need + 1 > m->cap) return 0;
    memcpy(m->buf + m->len, line, need);
    m->len += need; m->buf[m->len] = 0;
    (void)n;
    return 0;
}
static inline size_t chdf5_last_error(char *buf, size_t cap) {
    chdf5_msg_t m = { buf, cap, 0 };
    if (cap) buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, chdf5__walk, &m);
    H5Eclear2(H5E_DEFAULT);
    return m.len;
}

/* A crash guard for files other people wrote. Debian 12's libhdf5 1.10.8 does not always report a corrupt
   file as an error: on some it faults (SIGSEGV, SIGBUS) or corrupts the heap until glibc aborts (SIGABRT),
   often inside H5Fclose. While a file is open for reading the guard is armed with one line naming it; these
   signals then write that line to stderr and exit 1. Disarmed, the handler that was there before (Swift's
   crash report) gets the signal. write(2) and _exit(2) are async-signal-safe; the text is copied in before
   arming, and the length published last. */
#include <signal.h>
#include <unistd.h>

/* The state lives in a function-local static: Swift's importer emits the inline functions it calls, not a
   header's global variables. It emits them into every object file that calls them, though (a release
   build's module is split into several, and Swift inlines across files), each copy with statics of its
   own: so install returns the state its handler reads, and arm and disarm write that one, never their
   own copy. */
struct chdf5_guard_state {
    volatile sig_atomic_t length;
    char text[2048];
    struct sigaction previous[3];
};
static inline struct chdf5_guard_state *chdf5__guard_state(void) { static struct chdf5_guard_state state; return &state; }
static inline int chdf5__guard_signal(int i) { return i == 0 ? SIGSEGV : i == 1 ? SIGBUS : SIGABRT; }

static void chdf5_guard_handler(int sig) {
    struct chdf5_guard_state *state = chdf5__guard_state();
    if (state->length > 0) {
        ssize_t written = write(2, state->text, (size_t)state->length);
        (void)written;
        _exit(1);
    }
    for (int i = 0; i < 3; i++) {
        if (chdf5__guard_signal(i) == sig) sigaction(sig, &state->previous[i], NULL);
    }
    /* A fault re-executes and reaches the previous handler; an abort must be raised again (it is
       blocked until this handler returns). */
    if (sig == SIGABRT) raise(sig);
}

/* Installs the handler, keeping the previous ones, and returns the state it reads (as an opaque
   pointer for arm and disarm). Call once. */
static inline void *chdf5_guard_install(void) {
    struct chdf5_guard_state *state = chdf5__guard_state();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = chdf5_guard_handler;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 3; i++) sigaction(chdf5__guard_signal(i), &action, &state->previous[i]);
    return state;
}

static inline void chdf5_guard_arm(void *guard, const char *text) {
    struct chdf5_guard_state *state = (struct chdf5_guard_state *)guard;
    state->length = 0;
    size_t n = strlen(text);
    if (n > sizeof state->text) n = sizeof state->text;
    memcpy(state->text, text, n);
    state->length = (sig_atomic_t)n;
}

static inline void chdf5_guard_disarm(void *guard) { ((struct chdf5_guard_state *)guard)->length = 0; }

/* A watchdog for reads that can spin inside libhdf5 on a corrupt file (H5HG_read's loop on a corrupt
   global heap, H5T__conv_vlen's vast memset on a corrupt length): while armed, SIGALRM writes its line
   and exits 1. Off in the fuzzing build, where libFuzzer owns SIGALRM. */
static inline char *chdf5__watch_text(void) { static char text[2048]; return text; }
static inline volatile sig_atomic_t *chdf5__watch_length(void) { static volatile sig_atomic_t length; return &length; }

static void chdf5_watch_handler(int sig) {
    (void)sig;
    ssize_t written = write(2, chdf5__watch_text(), (size_t)*chdf5__watch_length());
    (void)written;
    _exit(1);
}

static inline void chdf5_watch_start(const char *text, unsigned seconds) {
    size_t n = strlen(text);
    if (n > 2048) n = 2048;
    memcpy(chdf5__watch_text(), text, n);
    *chdf5__watch_length() = (sig_atomic_t)n;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = chdf5_watch_handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, NULL);
    alarm(seconds);
}

static inline void chdf5_watch_stop(void) { alarm(0); }
#endif
