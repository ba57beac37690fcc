/*
 * SSD detection post-processing (TFLite Micro's custom op TFLite_Detection_PostProcess), float32: box decoding
 * against the anchors and non-maximum suppression, fast (one NMS over each box's best class) or regular (one
 * NMS per class). Included by mcu_nn.h.
 */
#ifndef MCU_NN_DETECT_H
#define MCU_NN_DETECT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t num_boxes, box_stride;          /* anchors; floats per box encoding (>= 4: y, x, h, w first)        */
    int32_t num_classes, class_stride;      /* classes; floats per box of the class predictions               */
    int32_t label_offset;                   /* class_stride - num_classes (1: a background class first)       */
    int32_t max_detections;
    int32_t num_categories;                 /* fast: min(max_classes_per_detection, num_classes)              */
    int32_t detections_per_class;           /* regular: the per-class NMS's maximum                           */
    int32_t out_rows;                       /* rows of the boxes / classes / scores outputs                   */
    float score_threshold, iou_threshold;
    float y_scale, x_scale, h_scale, w_scale;
    const float *anchors;                   /* [num_boxes, 4]: y, x, h, w                                     */
    /* scratch layout, offsets in 4-byte words (mcucompile/kernels/detection.py)                             */
    int32_t off_boxes;                      /* 4 x num_boxes decoded boxes: ymin, xmin, ymax, xmax            */
    int32_t off_keep_scores, off_keep_index, off_sorted, off_merge, off_selected;   /* num_boxes each        */
    int32_t off_active;                     /* num_boxes bytes                                               */
    int32_t off_box_scores;                 /* num_boxes floats: the best class's (fast), one class's (regular) */
    int32_t off_classes;                    /* fast: num_boxes x num_categories class indices                 */
    int32_t off_pool_index, off_pool_scores;    /* regular: max_detections + num_boxes each                   */
    int32_t off_tmp_index, off_tmp_scores;      /* regular: max_detections each                               */
} mcu_detection_params_t;

/* shared by the two variants (mcu_detection_postprocess.c) */
/* decode every box into p->off_boxes; 0, or -1 when a box is empty (ymin >= ymax or xmin >= xmax: TFLite
 * Micro then fails the invoke) */
int32_t mcu_detection_decode_f32(const mcu_detection_params_t *p, const float *box_enc, float *scratch);
/* NMS of one score per box: the selected box indices in decreasing score order into p->off_selected;
 * returns how many */
int32_t mcu_detection_nms_f32(const mcu_detection_params_t *p, const float *scores, int32_t max_detections,
                              float *scratch);
/* the k best of v[0..n) (decreasing value, the lower index first among equals) into idx, in order */
void mcu_detection_top_k(const float *v, int32_t n, int32_t k, int32_t *idx);

/* fast NMS (use_regular_nms false); scratch: see the offsets above */
void mcu_detection_postprocess_fast_f32(const mcu_detection_params_t *p, const float *box_enc,
                                        const float *class_pred, float *scratch, float *out_boxes,
                                        float *out_classes, float *out_scores, float *out_num);
/* regular NMS (use_regular_nms true) */
void mcu_detection_postprocess_regular_f32(const mcu_detection_params_t *p, const float *box_enc,
                                           const float *class_pred, float *scratch, float *out_boxes,
                                           float *out_classes, float *out_scores, float *out_num);

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_DETECT_H */
