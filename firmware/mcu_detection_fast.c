/*
 * SSD detection post-processing with the fast NMS (use_regular_nms false), as TFLite Micro computes it: each
 * box's num_categories best classes (decreasing score, the lower class first among equals), one NMS over the
 * boxes' best scores (mcu_detection_postprocess.c), then per selected box its num_categories classes.
 *
 * Output rows as TFLite Micro writes them: the k-th written detection (k counts every class of every
 * selected box) goes to row num_categories x k + its class rank, so with num_categories > 1 rows are left
 * between them (TFLite Micro leaves them unwritten; here they are zero, as are all rows past the last
 * written). num_detections = selected boxes x num_categories. The compiler checks that the last row written
 * is inside the outputs.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_detection_postprocess_fast_f32(const mcu_detection_params_t *p, const float *box_enc,
                                        const float *class_pred, float *scratch, float *out_boxes,
                                        float *out_classes, float *out_scores, float *out_num)
{
    const int32_t nc = p->num_categories;
    float *best = scratch + p->off_box_scores;
    int32_t *classes = (int32_t *)(scratch + p->off_classes);
    const int32_t *selected = (const int32_t *)(scratch + p->off_selected);
    memset(out_boxes, 0, (size_t)p->out_rows * 4 * sizeof(float));
    memset(out_classes, 0, (size_t)p->out_rows * sizeof(float));
    memset(out_scores, 0, (size_t)p->out_rows * sizeof(float));
    out_num[0] = 0.0f;
    if (mcu_detection_decode_f32(p, box_enc, scratch) != 0) {
        return;                                     /* an empty box: TFLite Micro fails the invoke */
    }
    for (int32_t b = 0; b < p->num_boxes; b++) {
        const float *s = class_pred + b * p->class_stride + p->label_offset;
        mcu_detection_top_k(s, p->num_classes, nc, classes + b * nc);
        best[b] = s[classes[b * nc]];
    }
    const int32_t n = mcu_detection_nms_f32(p, best, p->max_detections, scratch);
    const float *boxes = scratch + p->off_boxes;
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        const int32_t b = selected[i];
        const float *s = class_pred + b * p->class_stride + p->label_offset;
        for (int32_t c = 0; c < nc; c++, k++) {
            const int32_t row = nc * k + c;
            memcpy(out_boxes + 4 * row, boxes + 4 * b, 4 * sizeof(float));
            out_classes[row] = (float)classes[b * nc + c];
            out_scores[row] = s[classes[b * nc + c]];
        }
    }
    out_num[0] = (float)k;
}
