#ifndef REINS_CKERNELS_TRAINING_H
#define REINS_CKERNELS_TRAINING_H

#include <stddef.h>
#include <stdint.h>

// Kernels for fitting MLP policies in Float32: a packed GEMM for the forward and backward passes,
// the regression and classification losses with their gradients, Adam, and the power iteration
// behind the Lipschitz projection. None of them allocates; the caller owns every buffer.
//
// The kernels whose speed matters take the instruction set as `level`: 2 uses AVX2+FMA when the
// CPU has it (portable C otherwise), 0 forces the portable path (for tests). They do not follow
// the process-wide reins_select_kernel_level that inference benchmarks switch, so a fit running
// beside such a switch never changes path half-way and its weights depend only on its inputs.

/// Floats reins_pack_panels writes for a k × n matrix: ceil(n / 16) panels of k × 16.
size_t reins_packed_size(int k, int n);

/// Packs the k × n matrix B whose element (r, c) is b[r * row_stride + c * col_stride] into
/// panels of 16 columns (panel p holds, for every r, B(r, 16p ... 16p + 15) contiguously; columns
/// past n are zero). Strides let one routine pack W (row_stride = inputs, col_stride = 1) and Wᵀ
/// (row_stride = 1, col_stride = inputs) without a transposed copy.
void reins_pack_panels(const float *b, int row_stride, int col_stride, int k, int n, float *panels);

/// C = (accumulate ? C : 0) + bias + A · B, then max(0, ·) when relu != 0, for the m × k matrix A
/// with element (r, i) at a[r * a_row_stride + i * a_col_stride] and B packed by reins_pack_panels.
/// C is m × n with row stride ldc; bias (n entries) may be NULL. Each element is one multiply-add
/// chain over i in order, so the result does not depend on how the rows are tiled.
void reins_gemm(int m, int n, int k, const float *a, int a_row_stride, int a_col_stride,
                const float *panels, const float *bias, float *c, int ldc, int accumulate, int relu, int level);

/// Squared error of the rows × cols block y (row stride ldy) against t (row stride ldt):
/// returns Σ (y − t)². When dy is not NULL it receives scale · 2 (y − t) (row stride ldy); when
/// column_sums is not NULL, Σ over rows of (y − t)² is added to column_sums[c].
double reins_squared_error(const float *y, int ldy, const float *t, int ldt, int rows, int cols,
                           float scale, float *dy, double *column_sums);

/// Softmax cross-entropy for rows of `groups` groups of `bins` logits (row stride ld); targets
/// holds rows × groups bin indices. Returns Σ −log softmax(target); *correct (when not NULL) gets
/// the number of groups whose arg-max is the target. When dlogits is not NULL it receives
/// scale · (softmax − one-hot) (row stride ld).
double reins_softmax_cross_entropy(const float *logits, int ld, const int32_t *targets, int rows,
                                   int groups, int bins, float scale, float *dlogits, int *correct);

/// grad[i] = 0 where activation[i] <= 0 (the ReLU derivative, read from the ReLU's output).
void reins_relu_backward(float *grad, const float *activation, size_t count, int level);

/// sums[c] = Σ over rows of x[r * ldx + c].
void reins_column_sums(const float *x, int rows, int cols, int ldx, float *sums);

/// Adam (Kingma & Ba) with bias correction for step `step` (1-based):
/// m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², p ← p − lr m̂ / (√v̂ + eps).
void reins_adam_step(float *parameters, const float *gradients, float *m, float *v, size_t count,
                     float learning_rate, float beta1, float beta2, float epsilon, int step, int level);

/// `iterations` power iterations on M = diag(row_scale) · W · diag(column_scale) (W rows × cols,
/// row-major; either scale may be NULL), starting from the unit vector u (cols entries, updated in
/// place: warm starts between optimiser steps). v (rows entries) is scratch. Returns ‖Mᵀ v‖ for
/// the last unit v = M u / ‖M u‖, an estimate of ‖M‖₂ from below. Accumulates in double.
double reins_power_iteration(const float *w, int rows, int cols, const float *row_scale,
                             const float *column_scale, float *u, float *v, int iterations);

/// x[i] *= factor.
void reins_scale(float *x, size_t count, float factor);

/// x[i] += y[i].
void reins_add(float *x, const float *y, size_t count);

/// Copies rows indices[0 ..< count] of src (row_bytes each) to dst one after another: minibatch
/// assembly from a shuffled index list.
void reins_gather_rows(const void *src, size_t row_bytes, const int32_t *indices, int count, void *dst);

#endif
