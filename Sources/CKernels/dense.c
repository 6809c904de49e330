#include "CKernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define REINS_HAVE_X86 1
#else
#define REINS_HAVE_X86 0
#endif

// NaN must survive every activation: a NaN observation has to reach the monitor as NaN instead of
// being turned into a plausible action by max(0, NaN) = 0.
static inline float activate(float v, int activation, float parameter) {
    switch (activation) {
    case REINS_ACTIVATION_RELU: return v < 0.0f ? 0.0f : v;
    case REINS_ACTIVATION_LEAKY_RELU: return v < 0.0f ? v * parameter : v;
    case REINS_ACTIVATION_TANH: return tanhf(v);
    case REINS_ACTIVATION_ELU: return v > 0.0f ? v : parameter * expm1f(v);
    case REINS_ACTIVATION_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case REINS_ACTIVATION_SILU: return v / (1.0f + expf(-v));
    default: return v;
    }
}

void reins_activate_rows(float *y, int y_stride, int rows, int count, int activation, float parameter) {
    for (int r = 0; r < rows; r++) {
        float *v = y + (size_t)r * (size_t)y_stride;
        // One loop per common activation so the compiler vectorises each.
        switch (activation) {
        case REINS_ACTIVATION_IDENTITY:
            break;
        case REINS_ACTIVATION_RELU:
            for (int i = 0; i < count; i++) v[i] = v[i] < 0.0f ? 0.0f : v[i];
            break;
        case REINS_ACTIVATION_LEAKY_RELU:
            for (int i = 0; i < count; i++) v[i] = v[i] < 0.0f ? v[i] * parameter : v[i];
            break;
        default:
            for (int i = 0; i < count; i++) v[i] = activate(v[i], activation, parameter);
            break;
        }
    }
}

static void dense_portable(const float *panels, const float *bias, int inputs, int panel_count,
                           const float *x, int x_stride, float *y, int y_stride, int rows,
                           int activation, float parameter) {
    for (int p = 0; p < panel_count; p++) {
        const float *w = panels + (size_t)p * (size_t)inputs * REINS_PANEL_WIDTH;
        for (int r = 0; r < rows; r++) {
            const float *xr = x + (size_t)r * (size_t)x_stride;
            float acc[REINS_PANEL_WIDTH];
            for (int o = 0; o < REINS_PANEL_WIDTH; o++) acc[o] = bias[p * REINS_PANEL_WIDTH + o];
            for (int i = 0; i < inputs; i++) {
                const float xi = xr[i];
                const float *wi = w + (size_t)i * REINS_PANEL_WIDTH;
                for (int o = 0; o < REINS_PANEL_WIDTH; o++) acc[o] += wi[o] * xi;
            }
            float *yr = y + (size_t)r * (size_t)y_stride + p * REINS_PANEL_WIDTH;
            for (int o = 0; o < REINS_PANEL_WIDTH; o++) yr[o] = activate(acc[o], activation, parameter);
        }
    }
}

#if REINS_HAVE_X86

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX2_INLINE __attribute__((always_inline, target("avx2,fma"))) static inline

AVX2_INLINE void store_activated(float *y, __m256 lo, __m256 hi, int activation, float parameter) {
    const __m256 zero = _mm256_setzero_ps();
    switch (activation) {
    case REINS_ACTIVATION_IDENTITY:
        break;
    case REINS_ACTIVATION_RELU:
        // max(0, v) returns v when v is NaN (the second operand wins unordered compares).
        lo = _mm256_max_ps(zero, lo);
        hi = _mm256_max_ps(zero, hi);
        break;
    case REINS_ACTIVATION_LEAKY_RELU: {
        const __m256 slope = _mm256_set1_ps(parameter);
        lo = _mm256_blendv_ps(lo, _mm256_mul_ps(lo, slope), _mm256_cmp_ps(lo, zero, _CMP_LT_OQ));
        hi = _mm256_blendv_ps(hi, _mm256_mul_ps(hi, slope), _mm256_cmp_ps(hi, zero, _CMP_LT_OQ));
        break;
    }
    default:
        _mm256_storeu_ps(y, lo);
        _mm256_storeu_ps(y + 8, hi);
        for (int o = 0; o < REINS_PANEL_WIDTH; o++) y[o] = activate(y[o], activation, parameter);
        return;
    }
    _mm256_storeu_ps(y, lo);
    _mm256_storeu_ps(y + 8, hi);
}

// One row: FMA latency (4-5 cycles) would stall two accumulators, so four inputs are in flight
// with eight independent accumulators.
AVX2 static void panel_one_row(const float *w, const float *bias, int inputs, const float *x, float *y,
                               int activation, float parameter) {
    __m256 a0 = _mm256_loadu_ps(bias), a1 = _mm256_loadu_ps(bias + 8);
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
    __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
    __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 4 <= inputs; i += 4) {
        const float *wi = w + (size_t)i * REINS_PANEL_WIDTH;
        const __m256 x0 = _mm256_broadcast_ss(x + i);
        const __m256 x1 = _mm256_broadcast_ss(x + i + 1);
        const __m256 x2 = _mm256_broadcast_ss(x + i + 2);
        const __m256 x3 = _mm256_broadcast_ss(x + i + 3);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(wi), x0, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 8), x0, a1);
        b0 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 16), x1, b0);
        b1 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 24), x1, b1);
        c0 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 32), x2, c0);
        c1 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 40), x2, c1);
        d0 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 48), x3, d0);
        d1 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 56), x3, d1);
    }
    for (; i < inputs; i++) {
        const float *wi = w + (size_t)i * REINS_PANEL_WIDTH;
        const __m256 xi = _mm256_broadcast_ss(x + i);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(wi), xi, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(wi + 8), xi, a1);
    }
    a0 = _mm256_add_ps(_mm256_add_ps(a0, b0), _mm256_add_ps(c0, d0));
    a1 = _mm256_add_ps(_mm256_add_ps(a1, b1), _mm256_add_ps(c1, d1));
    store_activated(y, a0, a1, activation, parameter);
}

// A tile of `tile` rows shares every weight load; with tile = 6 that is 12 accumulators plus two
// weight registers and one broadcast, which fits the 16 ymm registers. `tile` is a constant at each
// call site, so the loops over it unroll.
AVX2_INLINE void panel_tile(const int tile, const float *w, const float *bias, int inputs,
                            const float *x, int x_stride, float *y, int y_stride,
                            int activation, float parameter) {
    __m256 lo[6], hi[6];
    const __m256 bias_lo = _mm256_loadu_ps(bias), bias_hi = _mm256_loadu_ps(bias + 8);
    for (int r = 0; r < tile; r++) { lo[r] = bias_lo; hi[r] = bias_hi; }
    for (int i = 0; i < inputs; i++) {
        const float *wi = w + (size_t)i * REINS_PANEL_WIDTH;
        const __m256 w0 = _mm256_loadu_ps(wi), w1 = _mm256_loadu_ps(wi + 8);
        for (int r = 0; r < tile; r++) {
            const __m256 xb = _mm256_broadcast_ss(x + (size_t)r * (size_t)x_stride + i);
            lo[r] = _mm256_fmadd_ps(w0, xb, lo[r]);
            hi[r] = _mm256_fmadd_ps(w1, xb, hi[r]);
        }
    }
    for (int r = 0; r < tile; r++) store_activated(y + (size_t)r * (size_t)y_stride, lo[r], hi[r], activation, parameter);
}

AVX2 static void dense_avx2(const float *panels, const float *bias, int inputs, int panel_count,
                            const float *x, int x_stride, float *y, int y_stride, int rows,
                            int activation, float parameter) {
    for (int p = 0; p < panel_count; p++) {
        const float *w = panels + (size_t)p * (size_t)inputs * REINS_PANEL_WIDTH;
        const float *b = bias + p * REINS_PANEL_WIDTH;
        float *yp = y + p * REINS_PANEL_WIDTH;
        if (rows == 1) {
            panel_one_row(w, b, inputs, x, yp, activation, parameter);
            continue;
        }
        // Split the batch into tiles of near-equal size (9 rows: 5 + 4) so no pass is nearly empty.
        const int passes = (rows + 5) / 6;
        int r = 0;
        for (int pass = 0; pass < passes; pass++) {
            const int tile = (rows - r + (passes - pass) - 1) / (passes - pass);
            const float *xr = x + (size_t)r * (size_t)x_stride;
            float *yr = yp + (size_t)r * (size_t)y_stride;
            switch (tile) {
            case 1: panel_one_row(w, b, inputs, xr, yr, activation, parameter); break;
            case 2: panel_tile(2, w, b, inputs, xr, x_stride, yr, y_stride, activation, parameter); break;
            case 3: panel_tile(3, w, b, inputs, xr, x_stride, yr, y_stride, activation, parameter); break;
            case 4: panel_tile(4, w, b, inputs, xr, x_stride, yr, y_stride, activation, parameter); break;
            case 5: panel_tile(5, w, b, inputs, xr, x_stride, yr, y_stride, activation, parameter); break;
            default: panel_tile(6, w, b, inputs, xr, x_stride, yr, y_stride, activation, parameter); break;
            }
            r += tile;
        }
    }
}

static int detect_level(void) {
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 2 : 0;
}

#else

static int detect_level(void) { return 0; }

#endif

static _Atomic int selected_level = -1;

int reins_kernel_level(void) {
    int level = atomic_load_explicit(&selected_level, memory_order_relaxed);
    if (level < 0) {
        level = detect_level();
        atomic_store_explicit(&selected_level, level, memory_order_relaxed);
    }
    return level;
}

int reins_select_kernel_level(int requested) {
    const int level = requested == 0 ? 0 : detect_level();
    atomic_store_explicit(&selected_level, level, memory_order_relaxed);
    return level;
}

void reins_dense_forward(const float *panels, const float *bias, int inputs, int panel_count,
                         const float *x, int x_stride, float *y, int y_stride, int rows,
                         int activation, float parameter) {
#if REINS_HAVE_X86
    if (reins_kernel_level() == 2) {
        dense_avx2(panels, bias, inputs, panel_count, x, x_stride, y, y_stride, rows, activation, parameter);
        return;
    }
#endif
    dense_portable(panels, bias, inputs, panel_count, x, x_stride, y, y_stride, rows, activation, parameter);
}
