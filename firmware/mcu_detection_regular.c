/*
 * SSD detection post-processing with the regular NMS (use_regular_nms true), as TFLite Micro computes it:
 * for each class in turn, an NMS of that class's scores over all boxes (at most detections_per_class,
 * mcu_detection_postprocess.c); its selections join the pool of the best so far, and the pool is cut back
 * to the max_detections best (decreasing score, the earlier pool entry first among equals: the classes
 * before, in their order, then this class's in selection order).
 *
 * Rows 0..max_detections-1: the pool's boxes, class (without the background) and score, zero past the
 * pool; num_detections = the pool's size. Rows past max_detections (TFLite Micro leaves them unwritten)
 * are zero.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_detection_postprocess_regular_f32(const mcu_detection_params_t *p, const float *box_enc,
                                           const float *class_pred, float *scratch, float *out_boxes,
                                           float *out_classes, float *out_scores, float *out_num)
{
    float *class_scores = scratch + p->off_box_scores;
    const int32_t *selected = (const int32_t *)(scratch + p->off_selected);
    int32_t *pool_index = (int32_t *)(scratch + p->off_pool_index);     /* box x class_stride + class */
    float *pool_scores = scratch + p->off_pool_scores;
    int32_t *tmp_index = (int32_t *)(scratch + p->off_tmp_index);
    float *tmp_scores = scratch + p->off_tmp_scores;
    int32_t pool = 0;
    memset(out_boxes, 0, (size_t)p->out_rows * 4 * sizeof(float));
    memset(out_classes, 0, (size_t)p->out_rows * sizeof(float));
    memset(out_scores, 0, (size_t)p->out_rows * sizeof(float));
    out_num[0] = 0.0f;
    if (mcu_detection_decode_f32(p, box_enc, scratch) != 0) {
        return;                                     /* an empty box: TFLite Micro fails the invoke */
    }
    for (int32_t c = 0; c < p->num_classes; c++) {
        const int32_t col = c + p->label_offset;
        for (int32_t b = 0; b < p->num_boxes; b++) {
            class_scores[b] = class_pred[b * p->class_stride + col];
        }
        const int32_t n = mcu_detection_nms_f32(p, class_scores, p->detections_per_class, scratch);
        int32_t size = pool;
        for (int32_t i = 0; i < n; i++, size++) {
            pool_index[size] = selected[i] * p->class_stride + col;
            pool_scores[size] = class_scores[selected[i]];
        }
        const int32_t keep = size < p->max_detections ? size : p->max_detections;
        mcu_detection_top_k(pool_scores, size, keep, tmp_index);
        for (int32_t r = 0; r < keep; r++) {
            tmp_scores[r] = pool_scores[tmp_index[r]];
            tmp_index[r] = pool_index[tmp_index[r]];
        }
        for (int32_t r = 0; r < keep; r++) {
            pool_index[r] = tmp_index[r];
            pool_scores[r] = tmp_scores[r];
        }
        pool = keep;
    }
    const float *boxes = scratch + p->off_boxes;
    for (int32_t r = 0; r < pool; r++) {
        const int32_t b = pool_index[r] / p->class_stride;
        memcpy(out_boxes + 4 * r, boxes + 4 * b, 4 * sizeof(float));
        out_classes[r] = (float)(pool_index[r] - b * p->class_stride - p->label_offset);
        out_scores[r] = pool_scores[r];
    }
    out_num[0] = (float)pool;
}
