// Helper threads: see include/textrnn_helpers.h.
//
// Each helper owns one slot. A slot's `state` moves IDLE -> CLAIMED (a caller's CAS) -> POSTED
// (the caller stored the task) -> DONE (the helper ran it) -> IDLE (the caller's join). The
// helper sleeps on a futex on `state` only after spinning TRK_HELPER_SPIN_NS; it sets `sleeping`
// first and rechecks, and the poster wakes it if it sees `sleeping` after posting (both
// sequentially consistent, so one of the two always sees the other).
#define _GNU_SOURCE
#include "textrnn_helpers.h"
#include "textrnn_kernels.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { IDLE, CLAIMED, POSTED, DONE };
enum { MAX_HELPERS = 8 };

typedef struct {
    _Alignas(64) _Atomic int state;
    _Atomic int sleeping;
    trk_task run;  // written by the claiming caller before POSTED, read by the helper after
    void *context;
    int kernel_level;  // the caller's (a test may set a level for its thread only)
} slot;

static slot slots[MAX_HELPERS];
static _Atomic int started = 0;  // helpers running (slots 0..<started)
static _Atomic int initialized = 0;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static long futex(_Atomic int *word, int op, int value) {
    return syscall(SYS_futex, (int *)word, op | FUTEX_PRIVATE_FLAG, value, NULL, NULL, 0);
}

static long long monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void *helper_main(void *argument) {
    slot *s = argument;
    for (;;) {
        long long spin_until = monotonic_ns() + TRK_HELPER_SPIN_NS;
        int state;
        unsigned spins = 0;
        while ((state = atomic_load_explicit(&s->state, memory_order_acquire)) != POSTED) {
            CPU_RELAX();
            if ((++spins & 255) == 0 && monotonic_ns() > spin_until) {
                atomic_store(&s->sleeping, 1);
                state = atomic_load(&s->state);
                if (state != POSTED) futex(&s->state, FUTEX_WAIT, state);
                atomic_store(&s->sleeping, 0);
                spin_until = monotonic_ns() + TRK_HELPER_SPIN_NS;
            }
        }
        if (s->kernel_level != trk_kernel_level()) {
            trk_set_thread_kernel_level(s->kernel_level);
            s->run(s->context);
            trk_set_thread_kernel_level(-1);
        } else {
            s->run(s->context);
        }
        atomic_store_explicit(&s->state, DONE, memory_order_release);
    }
    return NULL;
}

// A forked child has none of the parent's threads: forget them (a caller in the parent may have
// held a slot, so every slot is reset).
static void after_fork_in_child(void) {
    for (int i = 0; i < MAX_HELPERS; i++) {
        atomic_store(&slots[i].state, IDLE);
        atomic_store(&slots[i].sleeping, 0);
    }
    atomic_store(&started, 0);
    atomic_store(&initialized, 0);
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    start_lock = fresh;
}

static void start_helpers(void) {
    pthread_mutex_lock(&start_lock);
    if (!atomic_load(&initialized)) {
        static _Atomic int fork_handler = 0;
        if (!atomic_exchange(&fork_handler, 1)) pthread_atfork(NULL, NULL, after_fork_in_child);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int wanted = cpus > 1 ? (int)(cpus - 1 < MAX_HELPERS ? cpus - 1 : MAX_HELPERS) : 0;
        int count = 0;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attributes, 1 << 20);
        for (; count < wanted; count++) {
            pthread_t thread;
            atomic_store(&slots[count].state, IDLE);
            if (pthread_create(&thread, &attributes, helper_main, &slots[count]) != 0) break;
        }
        pthread_attr_destroy(&attributes);
        atomic_store(&started, count);
        atomic_store(&initialized, 1);
    }
    pthread_mutex_unlock(&start_lock);
}

int trk_helper_post(trk_task run, void *context) {
    if (!atomic_load_explicit(&initialized, memory_order_acquire)) start_helpers();
    int count = atomic_load_explicit(&started, memory_order_acquire);
    for (int i = 0; i < count; i++) {
        slot *s = &slots[i];
        int expected = IDLE;
        if (atomic_load_explicit(&s->state, memory_order_relaxed) != IDLE ||
            !atomic_compare_exchange_strong(&s->state, &expected, CLAIMED))
            continue;
        s->run = run;
        s->context = context;
        s->kernel_level = trk_kernel_level();
        atomic_store(&s->state, POSTED);
        if (atomic_load(&s->sleeping)) futex(&s->state, FUTEX_WAKE, 1);
        return i;
    }
    return -1;
}

void trk_helper_join(int handle) {
    slot *s = &slots[handle];
    while (atomic_load_explicit(&s->state, memory_order_acquire) != DONE) CPU_RELAX();
    atomic_store_explicit(&s->state, IDLE, memory_order_release);
}

int trk_helper_count(void) {
    if (!atomic_load_explicit(&initialized, memory_order_acquire)) start_helpers();
    return atomic_load(&started);
}
