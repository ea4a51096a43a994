/*
 * ctcv.h — the pure-C face of OpenCV 4.6 (core, imgproc, imgcodecs) for Swift.
 *
 * Conventions (the same as ctorch.h):
 *  - Every function catches every C++ exception. On failure it stores the
 *    message in the thread-local read by ctcv_last_error() and returns a
 *    sentinel: NULL for handles, -1 for status codes. 0 means success.
 *  - Results that are images come back as new `ctcv_mat` handles owned by the
 *    caller and released with ctcv_mat_free. Their pixels are contiguous,
 *    row-major, channels interleaved (HWC).
 *  - Inputs are caller-owned buffers described by a `ctcv_view`; the shim never
 *    keeps a pointer to them after returning. Drawing functions write into the
 *    view's buffer in place; all others only read it.
 *  - Colour images are RGB(A) on this side of the shim. OpenCV works in BGR;
 *    the shim swaps where it matters (decode, encode, colour maps), so callers
 *    never see BGR unless they ask for it with ctcv_cvt_color.
 */
#ifndef CTCV_H
#define CTCV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- element depths (OpenCV's codes) ---------- */

enum {
    CTCV_DEPTH_8U = 0,
    CTCV_DEPTH_16U = 2,
    CTCV_DEPTH_32S = 4,
    CTCV_DEPTH_32F = 5,
};

/** A caller-owned pixel buffer: rows x cols x channels elements of `depth`, contiguous. */
typedef struct ctcv_view {
    void *data;
    int32_t rows;
    int32_t cols;
    int32_t channels; /* 1...4 */
    int32_t depth;    /* CTCV_DEPTH_* */
} ctcv_view;

/** The message of the last failure on this thread ("" if none). */
const char *ctcv_last_error(void);
/** Clears the last failure's message. */
void ctcv_clear_error(void);

/** OpenCV's version string, e.g. "4.6.0". */
const char *ctcv_version(void);

/* ---------- matrices returned by the shim ---------- */

typedef struct ctcv_mat ctcv_mat;

void ctcv_mat_free(ctcv_mat *m);
int ctcv_mat_rows(const ctcv_mat *m);
int ctcv_mat_cols(const ctcv_mat *m);
int ctcv_mat_channels(const ctcv_mat *m);
/** CTCV_DEPTH_* of the elements. */
int ctcv_mat_depth(const ctcv_mat *m);
/** Size of the pixel data in bytes. */
size_t ctcv_mat_nbytes(const ctcv_mat *m);
/** The contiguous pixel data (valid until ctcv_mat_free). */
const void *ctcv_mat_data(const ctcv_mat *m);
/** Copies the pixel data into dst; nbytes must equal ctcv_mat_nbytes. */
int ctcv_mat_copy_out(const ctcv_mat *m, void *dst, size_t nbytes);

/* ---------- codecs ---------- */

/**
 * Decodes an encoded image (JPEG, PNG, WebP, BMP and whatever else this
 * OpenCV build reads) into 8-bit 3-channel RGB. Grayscale is replicated,
 * alpha is dropped, 16-bit samples are reduced to 8 bits, and the JPEG EXIF
 * orientation tag is applied (cv::imdecode and cv::imread both do this in 4.6
 * with IMREAD_COLOR). Undecodable data is an error, not an empty image.
 */
ctcv_mat *ctcv_decode(const void *bytes, size_t nbytes);
/** ctcv_decode for a file (cv::imread); a file that cannot be opened is an error naming errno's text. */
ctcv_mat *ctcv_read(const char *path);
/**
 * Decodes a JPEG into 8-bit RGB as TensorFlow's tf.io.decode_jpeg / decode_image do by default:
 * libjpeg-turbo with the fast integer IDCT (JDCT_IFAST) and fancy upsampling, no EXIF
 * orientation. CMYK and YCCK JPEGs go through ctcv_decode instead.
 */
ctcv_mat *ctcv_decode_jpeg_tf(const void *bytes, size_t nbytes);

enum {
    CTCV_FORMAT_PNG = 0,
    CTCV_FORMAT_JPEG = 1,
    CTCV_FORMAT_WEBP = 2,
    CTCV_FORMAT_BMP = 3,
};

/**
 * Encodes an 8-bit image (1 channel gray, 3 RGB, 4 RGBA) and returns the bytes
 * as a 1 x N, 1-channel 8-bit matrix. `quality` < 0 keeps OpenCV's default;
 * otherwise it is the JPEG quality (0...100), the WebP quality (1...100, above
 * 100 lossless) or the PNG compression level (0...9); BMP ignores it.
 */
ctcv_mat *ctcv_encode(ctcv_view image, int format, int quality);

/* ---------- geometry and colour ---------- */

/** cv::InterpolationFlags values accepted by ctcv_resize. */
enum {
    CTCV_INTER_NEAREST = 0,
    CTCV_INTER_LINEAR = 1,
    CTCV_INTER_CUBIC = 2,
    CTCV_INTER_AREA = 3,
    CTCV_INTER_LANCZOS4 = 4,
    CTCV_INTER_LINEAR_EXACT = 5,
    CTCV_INTER_NEAREST_EXACT = 6,
};

/** cv::resize to out_rows x out_cols (8U, 16U or 32F; any channel count). */
ctcv_mat *ctcv_resize(ctcv_view src, int out_rows, int out_cols, int interpolation);

/** cv::ColorConversionCodes values for the conversions CAMKit uses. */
enum {
    CTCV_COLOR_RGBA2RGB = 1,
    CTCV_COLOR_RGB2BGR = 4,
    CTCV_COLOR_BGR2RGB = 4,
    CTCV_COLOR_BGR2GRAY = 6,
    CTCV_COLOR_RGB2GRAY = 7,
    CTCV_COLOR_GRAY2RGB = 8,
    CTCV_COLOR_RGBA2GRAY = 11,
};

/** cv::cvtColor with one of OpenCV's conversion codes (any code is passed through). */
ctcv_mat *ctcv_cvt_color(ctcv_view src, int code);

/**
 * cv::applyColorMap with a cv::ColormapTypes value (0 autumn ... 21 deepgreen)
 * on an 8-bit 1-channel image; the result is 8-bit 3-channel RGB.
 */
ctcv_mat *ctcv_apply_colormap(ctcv_view src, int colormap);

/** cv::addWeighted: saturate(a * alpha + b * beta + gamma), same size and type as the inputs. */
ctcv_mat *ctcv_add_weighted(ctcv_view a, double alpha, ctcv_view b, double beta, double gamma);

/** cv::ThresholdTypes values (OTSU and TRIANGLE may be or-ed in for 8-bit 1-channel input). */
enum {
    CTCV_THRESH_BINARY = 0,
    CTCV_THRESH_BINARY_INV = 1,
    CTCV_THRESH_TRUNC = 2,
    CTCV_THRESH_TOZERO = 3,
    CTCV_THRESH_TOZERO_INV = 4,
    CTCV_THRESH_OTSU = 8,
    CTCV_THRESH_TRIANGLE = 16,
};

/** cv::threshold on 8U or 32F input; `used_threshold` (may be NULL) receives the threshold applied. */
ctcv_mat *ctcv_threshold(ctcv_view src, double threshold, double max_value, int type, double *used_threshold);

/* ---------- contours ---------- */

/** cv::RetrievalModes. */
enum {
    CTCV_RETR_EXTERNAL = 0,
    CTCV_RETR_LIST = 1,
    CTCV_RETR_CCOMP = 2,
    CTCV_RETR_TREE = 3,
    CTCV_RETR_FLOODFILL = 4,
};

/** cv::ContourApproximationModes. */
enum {
    CTCV_CHAIN_APPROX_NONE = 1,
    CTCV_CHAIN_APPROX_SIMPLE = 2,
    CTCV_CHAIN_APPROX_TC89_L1 = 3,
    CTCV_CHAIN_APPROX_TC89_KCOS = 4,
};

typedef struct ctcv_contours ctcv_contours;

/**
 * cv::findContours on an 8-bit 1-channel mask (non-zero is foreground) or a
 * 32-bit integer label image. For RETR_FLOODFILL an 8-bit mask is converted to
 * 32-bit first, as OpenCV requires.
 */
ctcv_contours *ctcv_find_contours(ctcv_view mask, int mode, int method);
void ctcv_contours_free(ctcv_contours *c);
/** Number of contours, or -1. */
int64_t ctcv_contours_count(const ctcv_contours *c);
/** Number of points over all contours, or -1. */
int64_t ctcv_contours_total_points(const ctcv_contours *c);
/**
 * Copies the contours out: `points` gets 2 * total_points int32 (x, y pairs,
 * contour after contour), `offsets` gets count + 1 int32 (contour i is points
 * offsets[i] ..< offsets[i+1]), `hierarchy` gets 4 * count int32 (next,
 * previous, first child, parent; -1 for none). Any pointer may be NULL.
 */
int ctcv_contours_copy(const ctcv_contours *c, int32_t *points, int32_t *offsets, int32_t *hierarchy);

/*
 * Point lists: `points` holds 2 * n values (x, y pairs) of `depth`
 * CTCV_DEPTH_32S (int32_t) or CTCV_DEPTH_32F (float). An empty list (n = 0)
 * gives area 0, an all-zero rotated rect and an all-zero bounding rect
 * (OpenCV itself asserts on some of these).
 */

/** cv::contourArea (signed when `oriented` is non-zero). */
int ctcv_contour_area(const void *points, int n, int depth, int oriented, double *out);
/** cv::minAreaRect: out = centre x, centre y, width, height, angle in degrees. */
int ctcv_min_area_rect(const void *points, int n, int depth, float *out5);
/** cv::boxPoints of a rotated rect given as centre x, centre y, width, height, angle: 4 (x, y) pairs. */
int ctcv_box_points(const float *rect5, float *out8);
/** cv::boundingRect: out = x, y, width, height. */
int ctcv_bounding_rect(const void *points, int n, int depth, int32_t *out4);

/* ---------- drawing (in place on an 8-bit image; colour in the image's channel order) ---------- */

/** cv::LineTypes. */
enum { CTCV_LINE_4 = 4, CTCV_LINE_8 = 8, CTCV_LINE_AA = 16 };

/**
 * cv::drawContours. `points`/`offsets` as ctcv_contours_copy writes them;
 * `index` -1 draws all; `thickness` < 0 fills. `hierarchy` (4 * ncontours
 * int32, may be NULL) and `max_level` are passed to OpenCV.
 */
int ctcv_draw_contours(ctcv_view image, const int32_t *points, const int32_t *offsets, int ncontours,
                       int index, const double *color4, int thickness, int line_type,
                       const int32_t *hierarchy, int max_level);
/** cv::polylines over `npolys` polygons laid out like ctcv_draw_contours' input. */
int ctcv_polylines(ctcv_view image, const int32_t *points, const int32_t *offsets, int npolys, int closed,
                   const double *color4, int thickness, int line_type);
/** cv::rectangle with opposite corners (x1, y1) and (x2, y2), both inclusive; thickness < 0 fills. */
int ctcv_rectangle(ctcv_view image, int x1, int y1, int x2, int y2, const double *color4, int thickness,
                   int line_type);
/** cv::HersheyFonts. */
enum {
    CTCV_FONT_HERSHEY_SIMPLEX = 0,
    CTCV_FONT_HERSHEY_PLAIN = 1,
    CTCV_FONT_HERSHEY_DUPLEX = 2,
    CTCV_FONT_HERSHEY_COMPLEX = 3,
    CTCV_FONT_HERSHEY_TRIPLEX = 4,
    CTCV_FONT_HERSHEY_COMPLEX_SMALL = 5,
    CTCV_FONT_HERSHEY_SCRIPT_SIMPLEX = 6,
    CTCV_FONT_HERSHEY_SCRIPT_COMPLEX = 7,
    CTCV_FONT_ITALIC = 16,
};
/** cv::putText with the text's bottom-left corner at (x, y). */
int ctcv_put_text(ctcv_view image, const char *text, int x, int y, int font, double scale,
                  const double *color4, int thickness, int line_type, int bottom_left_origin);
/** cv::getTextSize: out = width, height, baseline. */
int ctcv_text_size(const char *text, int font, double scale, int thickness, int32_t *out3);

#ifdef __cplusplus
}
#endif

#endif /* CTCV_H */
