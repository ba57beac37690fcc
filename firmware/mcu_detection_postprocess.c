/*
 * SSD detection post-processing, the parts both NMS variants share: box decoding and the single-score
 * non-maximum suppression, as TFLite Micro's TFLite_Detection_PostProcess computes them (float32 outputs
 * identical bit for bit):
 *
 * - decoding: each centre and half size in double, (double)enc / (double)scale * (double)anchor_size +
 *   (double)anchor_centre and 0.5 * exp((double)enc / (double)scale) * (double)anchor_size, each rounded
 *   once to float; the corners are float centre -/+ float half size;
 * - NMS: the boxes whose score is >= the threshold, sorted by decreasing score with equal scores kept in
 *   box order (a stable sort); then greedily, the best active box is selected and every later active box
 *   whose IoU with it is > the IoU threshold is dropped, until max_detections are selected. IoU in float:
 *   areas (ymax - ymin) x (xmax - xmin), 0 if either is <= 0, the intersection's sides clamped at 0,
 *   intersection / (area_i + area_j - intersection).
 *
 * Equal scores: both sorts order by decreasing score, then increasing index, a total order, so any correct
 * sort gives the same result as TFLite Micro's merge sort (stable) and partial sort (index tie-break).
 */
#include <math.h>

#include "mcu_nn.h"

int32_t mcu_detection_decode_f32(const mcu_detection_params_t *p, const float *box_enc, float *scratch)
{
    float *boxes = scratch + p->off_boxes;
    int32_t ok = 0;
    for (int32_t i = 0; i < p->num_boxes; i++) {
        const float *e = box_enc + i * p->box_stride;
        const float *a = p->anchors + 4 * i;            /* y, x, h, w */
        const float yc = (float)((double)e[0] / (double)p->y_scale * (double)a[2] + (double)a[0]);
        const float xc = (float)((double)e[1] / (double)p->x_scale * (double)a[3] + (double)a[1]);
        const float hh = (float)(0.5 * exp((double)e[2] / (double)p->h_scale) * (double)a[2]);
        const float hw = (float)(0.5 * exp((double)e[3] / (double)p->w_scale) * (double)a[3]);
        float *b = boxes + 4 * i;
        b[0] = yc - hh;
        b[1] = xc - hw;
        b[2] = yc + hh;
        b[3] = xc + hw;
        if (b[0] >= b[2] || b[1] >= b[3]) {
            ok = -1;
        }
    }
    return ok;
}

void mcu_detection_top_k(const float *v, int32_t n, int32_t k, int32_t *idx)
{
    int32_t m = 0;
    if (k <= 0) {
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t j;
        if (m == k) {
            if (!(v[i] > v[idx[k - 1]])) {
                continue;                               /* an equal score of a lower index stays ahead */
            }
            j = k - 1;
        } else {
            j = m++;
        }
        while (j > 0 && v[i] > v[idx[j - 1]]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
}

/* positions 0..n-1 sorted by decreasing v[position], equal values in position order (bottom-up merge) */
static void sort_decreasing(const float *v, int32_t n, int32_t *idx, int32_t *tmp)
{
    for (int32_t i = 0; i < n; i++) {
        idx[i] = i;
    }
    for (int32_t width = 1; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            const int32_t mid = lo + width < n ? lo + width : n;
            const int32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int32_t l = lo, r = mid, o = lo;
            while (o < hi) {
                if (l >= mid || (r < hi && v[idx[r]] > v[idx[l]])) {
                    tmp[o++] = idx[r++];
                } else {
                    tmp[o++] = idx[l++];
                }
            }
        }
        for (int32_t i = 0; i < n; i++) {
            idx[i] = tmp[i];
        }
    }
}

static float iou(const float *bi, const float *bj)
{
    const float area_i = (bi[2] - bi[0]) * (bi[3] - bi[1]);
    const float area_j = (bj[2] - bj[0]) * (bj[3] - bj[1]);
    if (area_i <= 0.0f || area_j <= 0.0f) {
        return 0.0f;
    }
    const float ymin = bi[0] < bj[0] ? bj[0] : bi[0];
    const float xmin = bi[1] < bj[1] ? bj[1] : bi[1];
    const float ymax = bj[2] < bi[2] ? bj[2] : bi[2];
    const float xmax = bj[3] < bi[3] ? bj[3] : bi[3];
    const float dy = ymax - ymin, dx = xmax - xmin;
    const float inter = (dy < 0.0f ? 0.0f : dy) * (dx < 0.0f ? 0.0f : dx);
    return inter / (area_i + area_j - inter);
}

int32_t mcu_detection_nms_f32(const mcu_detection_params_t *p, const float *scores, int32_t max_detections,
                              float *scratch)
{
    const float *boxes = scratch + p->off_boxes;
    float *keep_scores = scratch + p->off_keep_scores;
    int32_t *keep_index = (int32_t *)(scratch + p->off_keep_index);
    int32_t *sorted = (int32_t *)(scratch + p->off_sorted);
    int32_t *selected = (int32_t *)(scratch + p->off_selected);
    uint8_t *active = (uint8_t *)(scratch + p->off_active);
    int32_t kept = 0;
    for (int32_t i = 0; i < p->num_boxes; i++) {
        if (scores[i] >= p->score_threshold) {
            keep_scores[kept] = scores[i];
            keep_index[kept++] = i;
        }
    }
    sort_decreasing(keep_scores, kept, sorted, (int32_t *)(scratch + p->off_merge));
    const int32_t limit = kept < max_detections ? kept : max_detections;
    int32_t n_selected = 0, n_active = kept;
    for (int32_t i = 0; i < kept; i++) {
        active[i] = 1;
    }
    for (int32_t i = 0; i < kept && n_active > 0 && n_selected < limit; i++) {
        if (!active[i]) {
            continue;
        }
        const int32_t bi = keep_index[sorted[i]];
        selected[n_selected++] = bi;
        active[i] = 0;
        n_active--;
        for (int32_t j = i + 1; j < kept; j++) {
            if (active[j] && iou(boxes + 4 * bi, boxes + 4 * keep_index[sorted[j]]) > p->iou_threshold) {
                active[j] = 0;
                n_active--;
            }
        }
    }
    return n_selected;
}
