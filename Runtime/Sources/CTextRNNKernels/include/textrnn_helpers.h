// Helper threads that run one task beside their caller: a Bidirectional layer's backward
// direction while the calling thread runs the forward one (textrnn_predict_batch with at least
// two threads per text).
//
// Why kept alive and spinning: starting a thread per text costs about 40 µs, as much as a
// short text's whole prediction. A helper waits spinning for up to TRK_HELPER_SPIN_NS after each
// task (as ONNX Runtime's intra-op pool does), then sleeps on a futex until it is needed again.
//
// Threading: any thread may claim an idle helper; a claimed helper is that caller's alone until
// trk_helper_join. When every helper is busy (or none could be started), trk_helper_post returns
// 0 and the caller runs the task itself, so results never depend on whether a helper ran it.
// After fork() the child starts its own helpers on first use.
#ifndef TEXTRNN_HELPERS_H
#define TEXTRNN_HELPERS_H

#ifdef __cplusplus
extern "C" {
#endif

/// How long an idle helper spins before it sleeps, in nanoseconds.
#define TRK_HELPER_SPIN_NS 1000000

/// A task: `run(context)` on the helper's thread.
typedef void (*trk_task)(void *context);

/// Starts `run(context)` on an idle helper thread and returns its handle (>= 0), to be passed to
/// trk_helper_join; returns -1 if no helper is free (the caller then runs the task itself).
/// Helpers (one fewer than the online CPUs, at most 8) are started on the first call.
int trk_helper_post(trk_task run, void *context);

/// Waits (spinning) until the task posted as `handle` has returned, and frees the helper.
void trk_helper_join(int handle);

/// Helpers started in this process (0 on a one-CPU machine or if none could be started).
int trk_helper_count(void);

#ifdef __cplusplus
}
#endif
#endif
