#ifndef REINS_CKERNELS_H
#define REINS_CKERNELS_H

// Dense-layer kernels for policy inference. The weights of a layer are stored as panels of 16
// output rows: panel p holds, for every input i, the 16 weights W[16p + r][i] (r = 0..15)
// contiguously, so one pass streams the weights in order and each input value is broadcast once
// per panel. Rows past the layer's real output count are zero. An AVX2+FMA path is chosen at run
// time when the CPU has it; otherwise a portable loop over the same layout runs.

#define REINS_PANEL_WIDTH 16

/// Activations the dense kernel applies to its output (identity for the last layer).
enum reins_activation {
    REINS_ACTIVATION_IDENTITY = 0,
    REINS_ACTIVATION_RELU = 1,
    REINS_ACTIVATION_LEAKY_RELU = 2,
    REINS_ACTIVATION_TANH = 3,
    REINS_ACTIVATION_ELU = 4,
    REINS_ACTIVATION_GELU = 5,
    REINS_ACTIVATION_SILU = 6,
};

/// y[b * y_stride + o] = act(bias[o] + sum_i panels(o, i) * x[b * x_stride + i])
/// for b < rows and o < 16 * panel_count. `parameter` is the leaky ReLU slope or the ELU alpha.
/// The batch is processed in tiles of up to 6 rows per weight pass, so K rows cost far less than
/// K single passes. Never allocates.
void reins_dense_forward(const float *panels, const float *bias, int inputs, int panel_count,
                         const float *x, int x_stride, float *y, int y_stride, int rows,
                         int activation, float parameter);

/// Applies an activation in place to `count` entries of each of `rows` rows.
void reins_activate_rows(float *y, int y_stride, int rows, int count, int activation, float parameter);

/// Which instruction set the kernels use: 2 = AVX2+FMA, 0 = portable C.
int reins_kernel_level(void);

/// Forces the portable path (level 0) or asks for the best the CPU supports (any other value).
/// Returns the level now in use. For tests that compare the two paths.
int reins_select_kernel_level(int requested);

#include "training.h"

#endif
