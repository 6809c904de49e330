#include "CKernels.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define REINS_HAVE_X86 1
#else
#define REINS_HAVE_X86 0
#endif

size_t reins_packed_size(int k, int n) {
    return (size_t)((n + REINS_PANEL_WIDTH - 1) / REINS_PANEL_WIDTH) * REINS_PANEL_WIDTH * (size_t)k;
}

void reins_pack_panels(const float *b, int row_stride, int col_stride, int k, int n, float *panels) {
    const int panel_count = (n + REINS_PANEL_WIDTH - 1) / REINS_PANEL_WIDTH;
    for (int p = 0; p < panel_count; p++) {
        float *out = panels + (size_t)p * (size_t)k * REINS_PANEL_WIDTH;
        const int first = p * REINS_PANEL_WIDTH;
        const int width = n - first < REINS_PANEL_WIDTH ? n - first : REINS_PANEL_WIDTH;
        if (col_stride == 1) {
            // Rows of B are contiguous: copy 16 at a time.
            for (int r = 0; r < k; r++) {
                const float *src = b + (size_t)r * (size_t)row_stride + first;
                float *dst = out + (size_t)r * REINS_PANEL_WIDTH;
                int c = 0;
                for (; c < width; c++) dst[c] = src[c];
                for (; c < REINS_PANEL_WIDTH; c++) dst[c] = 0.0f;
            }
        } else {
            // Columns of B are contiguous (B = Wᵀ): walk each column once.
            for (int c = 0; c < REINS_PANEL_WIDTH; c++) {
                if (c < width) {
                    const float *src = b + (size_t)(first + c) * (size_t)col_stride;
                    for (int r = 0; r < k; r++) out[(size_t)r * REINS_PANEL_WIDTH + c] = src[(size_t)r * (size_t)row_stride];
                } else {
                    for (int r = 0; r < k; r++) out[(size_t)r * REINS_PANEL_WIDTH + c] = 0.0f;
                }
            }
        }
    }
}

static void gemm_portable(int m, int n, int k, const float *a, int a_row_stride, int a_col_stride,
                          const float *panels, const float *bias, float *c, int ldc, int accumulate, int relu) {
    const int panel_count = (n + REINS_PANEL_WIDTH - 1) / REINS_PANEL_WIDTH;
    for (int p = 0; p < panel_count; p++) {
        const float *w = panels + (size_t)p * (size_t)k * REINS_PANEL_WIDTH;
        const int first = p * REINS_PANEL_WIDTH;
        const int width = n - first < REINS_PANEL_WIDTH ? n - first : REINS_PANEL_WIDTH;
        for (int r = 0; r < m; r++) {
            float *cr = c + (size_t)r * (size_t)ldc + first;
            float acc[REINS_PANEL_WIDTH];
            for (int o = 0; o < REINS_PANEL_WIDTH; o++) {
                const float start = (o < width && accumulate) ? cr[o] : 0.0f;
                acc[o] = start + ((bias != NULL && o < width) ? bias[first + o] : 0.0f);
            }
            const float *ar = a + (size_t)r * (size_t)a_row_stride;
            for (int i = 0; i < k; i++) {
                const float x = ar[(size_t)i * (size_t)a_col_stride];
                const float *wi = w + (size_t)i * REINS_PANEL_WIDTH;
                for (int o = 0; o < REINS_PANEL_WIDTH; o++) acc[o] += wi[o] * x;
            }
            for (int o = 0; o < width; o++) cr[o] = (relu && acc[o] < 0.0f) ? 0.0f : acc[o];
        }
    }
}

static void adam_portable(float *p, const float *g, float *m, float *v, size_t count, float step_size,
                          float beta1, float beta2, float epsilon, float inverse_correction2) {
    for (size_t i = 0; i < count; i++) {
        m[i] = beta1 * m[i] + (1.0f - beta1) * g[i];
        v[i] = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
        p[i] -= step_size * m[i] / (sqrtf(v[i] * inverse_correction2) + epsilon);
    }
}

#if REINS_HAVE_X86

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX2_INLINE __attribute__((always_inline, target("avx2,fma"))) static inline

// A tile of `tile` rows × 16 columns: 12 accumulators, two weight registers and one broadcast fit
// the 16 ymm registers (the 6 × 16 shape of BLIS's Haswell kernel). `tile` is a constant at each
// call site, so the loops over it unroll.
AVX2_INLINE void gemm_tile(const int tile, int k, const float *a, int a_row_stride, int a_col_stride,
                           const float *w, const float *bias, float *c, int ldc, int width,
                           int accumulate, int relu) {
    __m256 lo[6], hi[6];
    float buffer[REINS_PANEL_WIDTH];
    __m256 bias_lo = _mm256_setzero_ps(), bias_hi = _mm256_setzero_ps();
    if (bias != NULL) {
        if (width == REINS_PANEL_WIDTH) {
            bias_lo = _mm256_loadu_ps(bias);
            bias_hi = _mm256_loadu_ps(bias + 8);
        } else {
            for (int o = 0; o < REINS_PANEL_WIDTH; o++) buffer[o] = o < width ? bias[o] : 0.0f;
            bias_lo = _mm256_loadu_ps(buffer);
            bias_hi = _mm256_loadu_ps(buffer + 8);
        }
    }
    for (int r = 0; r < tile; r++) {
        if (accumulate) {
            const float *cr = c + (size_t)r * (size_t)ldc;
            if (width == REINS_PANEL_WIDTH) {
                lo[r] = _mm256_add_ps(_mm256_loadu_ps(cr), bias_lo);
                hi[r] = _mm256_add_ps(_mm256_loadu_ps(cr + 8), bias_hi);
            } else {
                for (int o = 0; o < REINS_PANEL_WIDTH; o++) buffer[o] = o < width ? cr[o] : 0.0f;
                lo[r] = _mm256_add_ps(_mm256_loadu_ps(buffer), bias_lo);
                hi[r] = _mm256_add_ps(_mm256_loadu_ps(buffer + 8), bias_hi);
            }
        } else {
            lo[r] = bias_lo;
            hi[r] = bias_hi;
        }
    }
    if (a_col_stride == 1) {
        for (int i = 0; i < k; i++) {
            const __m256 w0 = _mm256_loadu_ps(w + (size_t)i * REINS_PANEL_WIDTH);
            const __m256 w1 = _mm256_loadu_ps(w + (size_t)i * REINS_PANEL_WIDTH + 8);
            for (int r = 0; r < tile; r++) {
                const __m256 x = _mm256_broadcast_ss(a + (size_t)r * (size_t)a_row_stride + i);
                lo[r] = _mm256_fmadd_ps(w0, x, lo[r]);
                hi[r] = _mm256_fmadd_ps(w1, x, hi[r]);
            }
        }
    } else {
        for (int i = 0; i < k; i++) {
            const __m256 w0 = _mm256_loadu_ps(w + (size_t)i * REINS_PANEL_WIDTH);
            const __m256 w1 = _mm256_loadu_ps(w + (size_t)i * REINS_PANEL_WIDTH + 8);
            const float *ai = a + (size_t)i * (size_t)a_col_stride;
            for (int r = 0; r < tile; r++) {
                const __m256 x = _mm256_broadcast_ss(ai + (size_t)r * (size_t)a_row_stride);
                lo[r] = _mm256_fmadd_ps(w0, x, lo[r]);
                hi[r] = _mm256_fmadd_ps(w1, x, hi[r]);
            }
        }
    }
    const __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < tile; r++) {
        __m256 l = lo[r], h = hi[r];
        if (relu) {
            l = _mm256_max_ps(zero, l);
            h = _mm256_max_ps(zero, h);
        }
        float *cr = c + (size_t)r * (size_t)ldc;
        if (width == REINS_PANEL_WIDTH) {
            _mm256_storeu_ps(cr, l);
            _mm256_storeu_ps(cr + 8, h);
        } else {
            _mm256_storeu_ps(buffer, l);
            _mm256_storeu_ps(buffer + 8, h);
            for (int o = 0; o < width; o++) cr[o] = buffer[o];
        }
    }
}

AVX2 static void gemm_avx2(int m, int n, int k, const float *a, int a_row_stride, int a_col_stride,
                           const float *panels, const float *bias, float *c, int ldc, int accumulate, int relu) {
    const int panel_count = (n + REINS_PANEL_WIDTH - 1) / REINS_PANEL_WIDTH;
    // Near-equal row tiles (13 rows: 5 + 4 + 4), so no pass over a panel is nearly empty.
    const int passes = (m + 5) / 6;
    for (int p = 0; p < panel_count; p++) {
        const float *w = panels + (size_t)p * (size_t)k * REINS_PANEL_WIDTH;
        const int first = p * REINS_PANEL_WIDTH;
        const int width = n - first < REINS_PANEL_WIDTH ? n - first : REINS_PANEL_WIDTH;
        const float *b = bias != NULL ? bias + first : NULL;
        int r = 0;
        for (int pass = 0; pass < passes; pass++) {
            const int tile = (m - r + (passes - pass) - 1) / (passes - pass);
            const float *ar = a + (size_t)r * (size_t)a_row_stride;
            float *cr = c + (size_t)r * (size_t)ldc + first;
            switch (tile) {
            case 1: gemm_tile(1, k, ar, a_row_stride, a_col_stride, w, b, cr, ldc, width, accumulate, relu); break;
            case 2: gemm_tile(2, k, ar, a_row_stride, a_col_stride, w, b, cr, ldc, width, accumulate, relu); break;
            case 3: gemm_tile(3, k, ar, a_row_stride, a_col_stride, w, b, cr, ldc, width, accumulate, relu); break;
            case 4: gemm_tile(4, k, ar, a_row_stride, a_col_stride, w, b, cr, ldc, width, accumulate, relu); break;
            case 5: gemm_tile(5, k, ar, a_row_stride, a_col_stride, w, b, cr, ldc, width, accumulate, relu); break;
            default: gemm_tile(6, k, ar, a_row_stride, a_col_stride, w, b, cr, ldc, width, accumulate, relu); break;
            }
            r += tile;
        }
    }
}

AVX2 static void adam_avx2(float *p, const float *g, float *m, float *v, size_t count, float step_size,
                           float beta1, float beta2, float epsilon, float inverse_correction2) {
    const __m256 b1 = _mm256_set1_ps(beta1), b2 = _mm256_set1_ps(beta2);
    const __m256 c1 = _mm256_set1_ps(1.0f - beta1), c2 = _mm256_set1_ps(1.0f - beta2);
    const __m256 step = _mm256_set1_ps(step_size), eps = _mm256_set1_ps(epsilon);
    const __m256 correction = _mm256_set1_ps(inverse_correction2);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 gi = _mm256_loadu_ps(g + i);
        const __m256 mi = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gi));
        const __m256 vi = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        const __m256 denominator = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, correction)), eps);
        const __m256 update = _mm256_div_ps(_mm256_mul_ps(step, mi), denominator);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), update));
    }
    adam_portable(p + i, g + i, m + i, v + i, count - i, step_size, beta1, beta2, epsilon, inverse_correction2);
}

// Whether the CPU has AVX2+FMA, asked once.
static int use_avx2(int level) {
    static _Atomic int cpu = -1;
    int has = atomic_load_explicit(&cpu, memory_order_relaxed);
    if (has < 0) {
        __builtin_cpu_init();
        has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        atomic_store_explicit(&cpu, has, memory_order_relaxed);
    }
    return level >= 2 && has;
}

#endif

void reins_gemm(int m, int n, int k, const float *a, int a_row_stride, int a_col_stride,
                const float *panels, const float *bias, float *c, int ldc, int accumulate, int relu, int level) {
    if (m <= 0 || n <= 0) return;
#if REINS_HAVE_X86
    if (use_avx2(level)) {
        gemm_avx2(m, n, k, a, a_row_stride, a_col_stride, panels, bias, c, ldc, accumulate, relu);
        return;
    }
#endif
    gemm_portable(m, n, k, a, a_row_stride, a_col_stride, panels, bias, c, ldc, accumulate, relu);
}

double reins_squared_error(const float *y, int ldy, const float *t, int ldt, int rows, int cols,
                           float scale, float *dy, double *column_sums) {
    double total = 0.0;
    for (int r = 0; r < rows; r++) {
        const float *yr = y + (size_t)r * (size_t)ldy;
        const float *tr = t + (size_t)r * (size_t)ldt;
        for (int c = 0; c < cols; c++) {
            const float difference = yr[c] - tr[c];
            const double squared = (double)difference * (double)difference;
            total += squared;
            if (column_sums != NULL) column_sums[c] += squared;
            if (dy != NULL) dy[(size_t)r * (size_t)ldy + c] = scale * 2.0f * difference;
        }
    }
    return total;
}

double reins_softmax_cross_entropy(const float *logits, int ld, const int32_t *targets, int rows,
                                   int groups, int bins, float scale, float *dlogits, int *correct) {
    double total = 0.0;
    int hits = 0;
    for (int r = 0; r < rows; r++) {
        for (int g = 0; g < groups; g++) {
            const float *z = logits + (size_t)r * (size_t)ld + (size_t)g * (size_t)bins;
            const int target = targets[(size_t)r * (size_t)groups + g];
            int best = 0;
            for (int b = 1; b < bins; b++) if (z[b] > z[best]) best = b;
            if (best == target) hits++;
            // Shifted by the largest logit, every exponent is <= 0: expf cannot overflow.
            const float top = z[best];
            float sum = 0.0f;
            for (int b = 0; b < bins; b++) sum += expf(z[b] - top);
            const float log_sum = logf(sum);
            total += (double)log_sum - (double)(z[target] - top);
            if (dlogits != NULL) {
                float *d = dlogits + (size_t)r * (size_t)ld + (size_t)g * (size_t)bins;
                const float inverse = 1.0f / sum;
                for (int b = 0; b < bins; b++) {
                    const float probability = expf(z[b] - top) * inverse;
                    d[b] = scale * (probability - (b == target ? 1.0f : 0.0f));
                }
            }
        }
    }
    if (correct != NULL) *correct = hits;
    return total;
}

static void relu_backward_portable(float *restrict grad, const float *restrict activation, size_t count) {
    for (size_t i = 0; i < count; i++) grad[i] = activation[i] > 0.0f ? grad[i] : 0.0f;
}

#if REINS_HAVE_X86
// A ReLU is active about half the time at random, so a branch per entry mispredicts constantly:
// mask with a compare instead.
AVX2 static void relu_backward_avx2(float *grad, const float *activation, size_t count) {
    const __m256 zero = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 active = _mm256_cmp_ps(_mm256_loadu_ps(activation + i), zero, _CMP_GT_OQ);
        _mm256_storeu_ps(grad + i, _mm256_and_ps(active, _mm256_loadu_ps(grad + i)));
    }
    relu_backward_portable(grad + i, activation + i, count - i);
}
#endif

void reins_relu_backward(float *grad, const float *activation, size_t count, int level) {
#if REINS_HAVE_X86
    if (use_avx2(level)) {
        relu_backward_avx2(grad, activation, count);
        return;
    }
#endif
    relu_backward_portable(grad, activation, count);
}

void reins_column_sums(const float *restrict x, int rows, int cols, int ldx, float *restrict sums) {
    for (int c = 0; c < cols; c++) sums[c] = 0.0f;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * (size_t)ldx;
        for (int c = 0; c < cols; c++) sums[c] += xr[c];
    }
}

void reins_adam_step(float *parameters, const float *gradients, float *m, float *v, size_t count,
                     float learning_rate, float beta1, float beta2, float epsilon, int step, int level) {
    // Bias corrections folded into the step size and the second moment, as PyTorch's Adam does.
    const float correction1 = (float)(1.0 - pow((double)beta1, (double)step));
    const float correction2 = (float)(1.0 - pow((double)beta2, (double)step));
    const float step_size = learning_rate / correction1;
    const float inverse_correction2 = 1.0f / correction2;
#if REINS_HAVE_X86
    if (use_avx2(level)) {
        adam_avx2(parameters, gradients, m, v, count, step_size, beta1, beta2, epsilon, inverse_correction2);
        return;
    }
#endif
    adam_portable(parameters, gradients, m, v, count, step_size, beta1, beta2, epsilon, inverse_correction2);
}

double reins_power_iteration(const float *w, int rows, int cols, const float *row_scale,
                             const float *column_scale, float *u, float *v, int iterations) {
    double estimate = 0.0;
    for (int iteration = 0; iteration < iterations; iteration++) {
        // v = M u / ‖M u‖
        double norm = 0.0;
        for (int r = 0; r < rows; r++) {
            const float *wr = w + (size_t)r * (size_t)cols;
            double sum = 0.0;
            if (column_scale != NULL) {
                for (int c = 0; c < cols; c++) sum += (double)wr[c] * (double)column_scale[c] * (double)u[c];
            } else {
                for (int c = 0; c < cols; c++) sum += (double)wr[c] * (double)u[c];
            }
            if (row_scale != NULL) sum *= (double)row_scale[r];
            v[r] = (float)sum;
            norm += sum * sum;
        }
        norm = sqrt(norm);
        if (!(norm > 0.0)) {
            // M u = 0: u lies in the null space (or M is zero). Restart from the all-ones direction.
            const float restart = (float)(1.0 / sqrt((double)cols));
            for (int c = 0; c < cols; c++) u[c] = restart;
            if (iteration + 1 == iterations) return 0.0;
            continue;
        }
        for (int r = 0; r < rows; r++) v[r] = (float)((double)v[r] / norm);
        // u = Mᵀ v / ‖Mᵀ v‖, accumulated row by row so W is read in order; ‖Mᵀ v‖ ≥ ‖M u‖ is the
        // better estimate.
        for (int c = 0; c < cols; c++) u[c] = 0.0f;
        for (int r = 0; r < rows; r++) {
            const float vr = row_scale != NULL ? v[r] * row_scale[r] : v[r];
            const float *wr = w + (size_t)r * (size_t)cols;
            for (int c = 0; c < cols; c++) u[c] += wr[c] * vr;
        }
        double back = 0.0;
        for (int c = 0; c < cols; c++) {
            if (column_scale != NULL) u[c] *= column_scale[c];
            back += (double)u[c] * (double)u[c];
        }
        back = sqrt(back);
        estimate = back;
        if (back > 0.0) {
            for (int c = 0; c < cols; c++) u[c] = (float)((double)u[c] / back);
        }
    }
    return estimate;
}

void reins_scale(float *restrict x, size_t count, float factor) {
    for (size_t i = 0; i < count; i++) x[i] *= factor;
}

void reins_add(float *restrict x, const float *restrict y, size_t count) {
    for (size_t i = 0; i < count; i++) x[i] += y[i];
}

void reins_gather_rows(const void *src, size_t row_bytes, const int32_t *indices, int count, void *dst) {
    const unsigned char *from = (const unsigned char *)src;
    unsigned char *to = (unsigned char *)dst;
    for (int i = 0; i < count; i++) {
        memcpy(to + (size_t)i * row_bytes, from + (size_t)indices[i] * row_bytes, row_bytes);
    }
}
