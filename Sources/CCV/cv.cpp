// The OpenCV half of the shim: codecs, resize, colour, contours, drawing.
// Includes only OpenCV headers (never torch) so it compiles fast; errors go
// through this shim's own thread-local (guard.hpp).
#include "guard.hpp"
#include "include/ctcv.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <climits>
#include <csetjmp>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
extern "C" {
#include <jpeglib.h>
}

struct ctcv_mat {
    cv::Mat m;
};

struct ctcv_contours {
    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy;
};

namespace {

/// OpenCV's own message ("... (-215:Assertion failed) ... in function 'resize'") without the
/// trailing newline.
std::string describe(const cv::Exception &e) {
    std::string s = e.what();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

struct Failure : std::exception {
    std::string message;
    explicit Failure(std::string m) : message(std::move(m)) {}
    const char *what() const noexcept override { return message.c_str(); }
};

[[noreturn]] void fail(const std::string &message) { throw Failure(message); }

/// A cv::Mat over the caller's buffer (no copy). Validates the description first.
cv::Mat wrap(const ctcv_view &v, const char *what = "image") {
    if (v.data == nullptr) fail(std::string(what) + ": null data pointer");
    if (v.rows <= 0 || v.cols <= 0)
        fail(std::string(what) + ": empty size " + std::to_string(v.rows) + "x" + std::to_string(v.cols));
    if (v.channels < 1 || v.channels > 4)
        fail(std::string(what) + ": unsupported channel count " + std::to_string(v.channels));
    switch (v.depth) {
        case CV_8U: case CV_16U: case CV_32S: case CV_32F: break;
        default: fail(std::string(what) + ": unsupported depth code " + std::to_string(v.depth));
    }
    return cv::Mat(v.rows, v.cols, CV_MAKETYPE(v.depth, v.channels), v.data);
}

/// A new handle owning `m` (made contiguous).
ctcv_mat *own(cv::Mat m) {
    if (!m.isContinuous()) m = m.clone();
    return new ctcv_mat{std::move(m)};
}

cv::Mat points_mat(const void *points, int n, int depth) {
    if (n < 0) fail("negative point count");
    if (depth != CV_32S && depth != CV_32F) fail("points must be int32 or float32, got depth code " + std::to_string(depth));
    if (n == 0) return cv::Mat(0, 1, CV_MAKETYPE(depth, 2));
    if (points == nullptr) fail("null points pointer");
    return cv::Mat(n, 1, CV_MAKETYPE(depth, 2), const_cast<void *>(points));
}

/// What `measure` makes of the n points (a default R, OpenCV's empty result, for none), after
/// checking the output pointer and the points.
template <typename R, typename Measure>
R measure_points(const void *points, int n, int depth, const void *out, Measure measure) {
    if (!out) fail("null output pointer");
    cv::Mat pts = points_mat(points, n, depth);
    return n == 0 ? R() : measure(pts);
}

std::vector<std::vector<cv::Point>> polygons(const int32_t *points, const int32_t *offsets, int count) {
    if (count < 0) fail("negative polygon count");
    std::vector<std::vector<cv::Point>> out;
    if (count == 0) return out;
    if (offsets == nullptr) fail("null offsets pointer");
    if (offsets[0] != 0) fail("offsets must start at 0");
    out.resize(count);
    for (int i = 0; i < count; ++i) {
        int32_t a = offsets[i], b = offsets[i + 1];
        if (b < a) fail("offsets must not decrease");
        if (b > a && points == nullptr) fail("null points pointer");
        out[i].reserve(b - a);
        for (int32_t k = a; k < b; ++k) out[i].emplace_back(points[2 * k], points[2 * k + 1]);
    }
    return out;
}

cv::Scalar scalar(const double *c) {
    if (c == nullptr) fail("null colour pointer");
    return cv::Scalar(c[0], c[1], c[2], c[3]);
}

cv::Mat rgb_from_bgr_color(const cv::Mat &decoded) {
    if (decoded.empty()) fail("could not decode image: unrecognised format or corrupt data");
    cv::Mat bgr = decoded;
    // IMREAD_COLOR already yields 8-bit BGR; be defensive about other codecs.
    if (bgr.depth() != CV_8U) {
        cv::Mat tmp;
        double scale = bgr.depth() == CV_16U ? 1.0 / 256.0 : (bgr.depth() == CV_32F ? 255.0 : 1.0);
        bgr.convertTo(tmp, CV_8U, scale);
        bgr = tmp;
    }
    cv::Mat rgb;
    switch (bgr.channels()) {
        case 1: cv::cvtColor(bgr, rgb, cv::COLOR_GRAY2RGB); break;
        case 3: cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB); break;
        case 4: cv::cvtColor(bgr, rgb, cv::COLOR_BGRA2RGB); break;
        default: fail("decoded image has " + std::to_string(bgr.channels()) + " channels");
    }
    return rgb;
}

}  // namespace

/// CTCV_GUARD (no exception escapes), with OpenCV's exceptions described without the trailing newline.
#define CV_GUARD(sentinel, ...)                                                         \
    CTCV_GUARD(sentinel, try { __VA_ARGS__ } catch (const cv::Exception &cvex) {          \
        ctcv::set_error(describe(cvex).c_str());                                      \
        return sentinel;                                                                \
    })

extern "C" {

const char *ctcv_version(void) { return CV_VERSION; }

/* ---------- matrices ---------- */

void ctcv_mat_free(ctcv_mat *m) { delete m; }
int ctcv_mat_rows(const ctcv_mat *m) { CV_GUARD(-1, if (!m) fail("null matrix"); return m->m.rows;) }
int ctcv_mat_cols(const ctcv_mat *m) { CV_GUARD(-1, if (!m) fail("null matrix"); return m->m.cols;) }
int ctcv_mat_channels(const ctcv_mat *m) { CV_GUARD(-1, if (!m) fail("null matrix"); return m->m.channels();) }
int ctcv_mat_depth(const ctcv_mat *m) { CV_GUARD(-1, if (!m) fail("null matrix"); return m->m.depth();) }
size_t ctcv_mat_nbytes(const ctcv_mat *m) {
    CV_GUARD(0, if (!m) fail("null matrix"); return m->m.total() * m->m.elemSize();)
}
const void *ctcv_mat_data(const ctcv_mat *m) { CV_GUARD(nullptr, if (!m) fail("null matrix"); return m->m.data;) }
int ctcv_mat_copy_out(const ctcv_mat *m, void *dst, size_t nbytes) {
    CV_GUARD(-1,
        if (!m) fail("null matrix");
        size_t have = m->m.total() * m->m.elemSize();
        if (nbytes != have) fail("copy_out: buffer has " + std::to_string(nbytes) + " bytes, matrix has " + std::to_string(have));
        if (have > 0) {
            if (!dst) fail("copy_out: null destination");
            std::memcpy(dst, m->m.data, have);
        }
        return 0;)
}

/* ---------- codecs ---------- */

ctcv_mat *ctcv_decode(const void *bytes, size_t nbytes) {
    CV_GUARD(nullptr,
        if (nbytes == 0) fail("could not decode image: no data");
        if (!bytes) fail("could not decode image: null data pointer");
        if (nbytes > static_cast<size_t>(INT_MAX)) fail("could not decode image: data larger than 2 GiB");
        cv::Mat buf(1, static_cast<int>(nbytes), CV_8UC1, const_cast<void *>(bytes));
        return own(rgb_from_bgr_color(cv::imdecode(buf, cv::IMREAD_COLOR)));)
}

namespace {
/// libjpeg's error manager with a jump back to the decoder (libjpeg cannot return errors).
struct JpegError {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_error_exit(j_common_ptr cinfo) {
    auto *error = reinterpret_cast<JpegError *>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, error->message);
    std::longjmp(error->jump, 1);
}

void jpeg_no_output(j_common_ptr) {}

enum class TFJpeg { decoded, failed, cmyk };

/// Decodes as TensorFlow's DecodeJpeg does by default (tensorflow/core/lib/jpeg/jpeg_mem.cc):
/// the fast integer IDCT (JDCT_IFAST), fancy upsampling, RGB output, scale 1, no EXIF
/// orientation; warnings ignored. Only plain locals here: libjpeg's errors longjmp back.
TFJpeg tf_jpeg_decode(const unsigned char *data, unsigned long size, unsigned char **pixels, int *width, int *height, char *message) {
    jpeg_decompress_struct cinfo;
    JpegError error;
    unsigned char *volatile buffer = nullptr;
    cinfo.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = jpeg_error_exit;
    error.manager.output_message = jpeg_no_output;
    if (setjmp(error.jump)) {
        std::snprintf(message, JMSG_LENGTH_MAX, "%s", error.message);
        jpeg_destroy_decompress(&cinfo);
        std::free(buffer);
        return TFJpeg::failed;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        return TFJpeg::cmyk;
    }
    cinfo.out_color_space = JCS_RGB;
    cinfo.dct_method = JDCT_IFAST;
    cinfo.do_fancy_upsampling = TRUE;
    cinfo.scale_num = 1;
    cinfo.scale_denom = 1;
    jpeg_start_decompress(&cinfo);
    const size_t w = cinfo.output_width, h = cinfo.output_height;
    if (cinfo.output_components != 3 || w == 0 || h == 0 || w * h > 178956970) {
        std::snprintf(message, JMSG_LENGTH_MAX, "unsupported JPEG: %zux%zu with %d components", w, h, cinfo.output_components);
        jpeg_destroy_decompress(&cinfo);
        return TFJpeg::failed;
    }
    buffer = static_cast<unsigned char *>(std::malloc(w * h * 3));
    if (!buffer) {
        std::snprintf(message, JMSG_LENGTH_MAX, "out of memory for %zux%zu pixels", w, h);
        jpeg_destroy_decompress(&cinfo);
        return TFJpeg::failed;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = buffer + static_cast<size_t>(cinfo.output_scanline) * w * 3;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    *pixels = buffer;
    *width = static_cast<int>(w);
    *height = static_cast<int>(h);
    return TFJpeg::decoded;
}
}  // namespace

ctcv_mat *ctcv_decode_jpeg_tf(const void *bytes, size_t nbytes) {
    CV_GUARD(nullptr,
        if (nbytes == 0) fail("could not decode image: no data");
        if (!bytes) fail("could not decode image: null data pointer");
        if (nbytes > static_cast<size_t>(INT_MAX)) fail("could not decode image: data larger than 2 GiB");
        unsigned char *pixels = nullptr;
        int width = 0, height = 0;
        char message[JMSG_LENGTH_MAX] = {0};
        switch (tf_jpeg_decode(static_cast<const unsigned char *>(bytes), static_cast<unsigned long>(nbytes), &pixels, &width, &height, message)) {
            case TFJpeg::failed: fail(std::string("could not decode JPEG: ") + message);
            case TFJpeg::cmyk: return ctcv_decode(bytes, nbytes);
            case TFJpeg::decoded: break;
        }
        cv::Mat image(height, width, CV_8UC3);
        std::memcpy(image.data, pixels, static_cast<size_t>(width) * height * 3);
        std::free(pixels);
        return own(image);)
}

ctcv_mat *ctcv_read(const char *path) {
    CV_GUARD(nullptr,
        if (!path) fail("null path");
        // cv::imread only logs a warning for a missing file; say why instead.
        FILE *f = std::fopen(path, "rb");
        if (!f) fail(std::string("cannot open file: ") + std::strerror(errno));
        errno = 0;
        bool unreadable = std::fgetc(f) == EOF && std::ferror(f);
        int err = errno;
        std::fclose(f);
        if (unreadable) fail(std::string("cannot read file: ") + std::strerror(err));
        return own(rgb_from_bgr_color(cv::imread(path, cv::IMREAD_COLOR)));)
}

ctcv_mat *ctcv_encode(ctcv_view image, int format, int quality) {
    CV_GUARD(nullptr,
        cv::Mat src = wrap(image);
        if (src.depth() != CV_8U) fail("encode: only 8-bit images can be encoded");
        const char *ext = nullptr;
        std::vector<int> params;
        switch (format) {
            case CTCV_FORMAT_PNG:
                ext = ".png";
                if (quality >= 0) params = {cv::IMWRITE_PNG_COMPRESSION, quality};
                break;
            case CTCV_FORMAT_JPEG:
                ext = ".jpg";
                if (quality >= 0) params = {cv::IMWRITE_JPEG_QUALITY, quality};
                break;
            case CTCV_FORMAT_WEBP:
                ext = ".webp";
                if (quality >= 0) params = {cv::IMWRITE_WEBP_QUALITY, quality};
                break;
            case CTCV_FORMAT_BMP: ext = ".bmp"; break;
            default: fail("encode: unknown format code " + std::to_string(format));
        }
        cv::Mat bgr;
        switch (src.channels()) {
            case 1: bgr = src; break;
            case 3: cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR); break;
            case 4: cv::cvtColor(src, bgr, cv::COLOR_RGBA2BGRA); break;
            default: fail("encode: images must have 1, 3 or 4 channels");
        }
        std::vector<uchar> out;
        if (!cv::imencode(ext, bgr, out, params)) fail(std::string("encode: OpenCV could not encode ") + ext);
        cv::Mat bytes(1, static_cast<int>(out.size()), CV_8UC1);
        if (!out.empty()) std::memcpy(bytes.data, out.data(), out.size());
        return own(bytes);)
}

/* ---------- geometry and colour ---------- */

ctcv_mat *ctcv_resize(ctcv_view src, int out_rows, int out_cols, int interpolation) {
    CV_GUARD(nullptr,
        cv::Mat s = wrap(src);
        if (out_rows <= 0 || out_cols <= 0)
            fail("resize: target size must be positive, got " + std::to_string(out_rows) + "x" + std::to_string(out_cols));
        switch (interpolation) {
            case cv::INTER_NEAREST: case cv::INTER_LINEAR: case cv::INTER_CUBIC: case cv::INTER_AREA:
            case cv::INTER_LANCZOS4: case cv::INTER_LINEAR_EXACT: case cv::INTER_NEAREST_EXACT: break;
            default: fail("resize: unknown interpolation code " + std::to_string(interpolation));
        }
        cv::Mat d;
        cv::resize(s, d, cv::Size(out_cols, out_rows), 0, 0, interpolation);
        return own(d);)
}

ctcv_mat *ctcv_cvt_color(ctcv_view src, int code) {
    CV_GUARD(nullptr,
        cv::Mat s = wrap(src);
        cv::Mat d;
        cv::cvtColor(s, d, code);
        return own(d);)
}

ctcv_mat *ctcv_apply_colormap(ctcv_view src, int colormap) {
    CV_GUARD(nullptr,
        cv::Mat s = wrap(src);
        if (colormap < cv::COLORMAP_AUTUMN || colormap > cv::COLORMAP_DEEPGREEN)
            fail("applyColorMap: unknown colour map code " + std::to_string(colormap));
        cv::Mat bgr, rgb;
        cv::applyColorMap(s, bgr, colormap);
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        return own(rgb);)
}

ctcv_mat *ctcv_add_weighted(ctcv_view a, double alpha, ctcv_view b, double beta, double gamma) {
    CV_GUARD(nullptr,
        cv::Mat ma = wrap(a, "first image"), mb = wrap(b, "second image");
        if (ma.size() != mb.size() || ma.type() != mb.type())
            fail("addWeighted: images differ: " + std::to_string(a.cols) + "x" + std::to_string(a.rows) + "x" +
                 std::to_string(a.channels) + " vs " + std::to_string(b.cols) + "x" + std::to_string(b.rows) + "x" +
                 std::to_string(b.channels));
        cv::Mat d;
        cv::addWeighted(ma, alpha, mb, beta, gamma, d);
        return own(d);)
}

ctcv_mat *ctcv_threshold(ctcv_view src, double threshold, double max_value, int type, double *used_threshold) {
    CV_GUARD(nullptr,
        cv::Mat s = wrap(src);
        cv::Mat d;
        double t = cv::threshold(s, d, threshold, max_value, type);
        if (used_threshold) *used_threshold = t;
        return own(d);)
}

/* ---------- contours ---------- */

ctcv_contours *ctcv_find_contours(ctcv_view mask, int mode, int method) {
    CV_GUARD(nullptr,
        cv::Mat m = wrap(mask, "mask");
        if (m.channels() != 1) fail("findContours: the mask must have 1 channel, got " + std::to_string(m.channels()));
        if (m.depth() != CV_8U && m.depth() != CV_32S) fail("findContours: the mask must be 8-bit or 32-bit integer");
        if (mode < cv::RETR_EXTERNAL || mode > cv::RETR_FLOODFILL)
            fail("findContours: unknown retrieval mode " + std::to_string(mode));
        if (method < cv::CHAIN_APPROX_NONE || method > cv::CHAIN_APPROX_TC89_KCOS)
            fail("findContours: unknown approximation method " + std::to_string(method));
        cv::Mat input = m;
        if (mode == cv::RETR_FLOODFILL && m.depth() == CV_8U) m.convertTo(input, CV_32S);
        auto *out = new ctcv_contours();
        try {
            cv::findContours(input, out->contours, out->hierarchy, mode, method);
        } catch (...) {
            delete out;
            throw;
        }
        return out;)
}

void ctcv_contours_free(ctcv_contours *c) { delete c; }

int64_t ctcv_contours_count(const ctcv_contours *c) {
    CV_GUARD(-1, if (!c) fail("null contours"); return static_cast<int64_t>(c->contours.size());)
}

int64_t ctcv_contours_total_points(const ctcv_contours *c) {
    CV_GUARD(-1,
        if (!c) fail("null contours");
        int64_t n = 0;
        for (const auto &k : c->contours) n += static_cast<int64_t>(k.size());
        return n;)
}

int ctcv_contours_copy(const ctcv_contours *c, int32_t *points, int32_t *offsets, int32_t *hierarchy) {
    CV_GUARD(-1,
        if (!c) fail("null contours");
        int64_t at = 0;
        if (offsets) offsets[0] = 0;
        for (size_t i = 0; i < c->contours.size(); ++i) {
            for (const auto &p : c->contours[i]) {
                if (points) {
                    points[2 * at] = p.x;
                    points[2 * at + 1] = p.y;
                }
                ++at;
            }
            if (offsets) offsets[i + 1] = static_cast<int32_t>(at);
        }
        if (hierarchy) {
            for (size_t i = 0; i < c->hierarchy.size(); ++i)
                for (int k = 0; k < 4; ++k) hierarchy[4 * i + k] = c->hierarchy[i][k];
        }
        return 0;)
}

int ctcv_contour_area(const void *points, int n, int depth, int oriented, double *out) {
    CV_GUARD(-1,
        *out = measure_points<double>(
            points, n, depth, out, [&](const cv::Mat &pts) { return cv::contourArea(pts, oriented != 0); });
        return 0;)
}

int ctcv_min_area_rect(const void *points, int n, int depth, float *out5) {
    CV_GUARD(-1,
        cv::RotatedRect r = measure_points<cv::RotatedRect>(
            points, n, depth, out5, [](const cv::Mat &pts) { return cv::minAreaRect(pts); });
        out5[0] = r.center.x;
        out5[1] = r.center.y;
        out5[2] = r.size.width;
        out5[3] = r.size.height;
        out5[4] = r.angle;
        return 0;)
}

int ctcv_box_points(const float *rect5, float *out8) {
    CV_GUARD(-1,
        if (!rect5 || !out8) fail("null pointer");
        cv::RotatedRect r(cv::Point2f(rect5[0], rect5[1]), cv::Size2f(rect5[2], rect5[3]), rect5[4]);
        cv::Mat pts;
        cv::boxPoints(r, pts);  // 4x2 CV_32F
        for (int i = 0; i < 4; ++i) {
            out8[2 * i] = pts.at<float>(i, 0);
            out8[2 * i + 1] = pts.at<float>(i, 1);
        }
        return 0;)
}

int ctcv_bounding_rect(const void *points, int n, int depth, int32_t *out4) {
    CV_GUARD(-1,
        cv::Rect r = measure_points<cv::Rect>(
            points, n, depth, out4, [](const cv::Mat &pts) { return cv::boundingRect(pts); });
        out4[0] = r.x;
        out4[1] = r.y;
        out4[2] = r.width;
        out4[3] = r.height;
        return 0;)
}

/* ---------- drawing ---------- */

int ctcv_draw_contours(ctcv_view image, const int32_t *points, const int32_t *offsets, int ncontours, int index,
                       const double *color4, int thickness, int line_type, const int32_t *hierarchy, int max_level) {
    CV_GUARD(-1,
        cv::Mat img = wrap(image);
        auto polys = polygons(points, offsets, ncontours);
        if (index < -1 || index >= ncontours)
            fail("drawContours: index " + std::to_string(index) + " out of range for " + std::to_string(ncontours) + " contours");
        if (hierarchy) {
            std::vector<cv::Vec4i> h(ncontours);
            for (int i = 0; i < ncontours; ++i) h[i] = cv::Vec4i(hierarchy[4 * i], hierarchy[4 * i + 1], hierarchy[4 * i + 2], hierarchy[4 * i + 3]);
            cv::drawContours(img, polys, index, scalar(color4), thickness, line_type, h, max_level);
        } else {
            cv::drawContours(img, polys, index, scalar(color4), thickness, line_type, cv::noArray(), max_level);
        }
        return 0;)
}

int ctcv_polylines(ctcv_view image, const int32_t *points, const int32_t *offsets, int npolys, int closed,
                   const double *color4, int thickness, int line_type) {
    CV_GUARD(-1,
        cv::Mat img = wrap(image);
        auto polys = polygons(points, offsets, npolys);
        if (!polys.empty()) cv::polylines(img, polys, closed != 0, scalar(color4), thickness, line_type);
        return 0;)
}

int ctcv_rectangle(ctcv_view image, int x1, int y1, int x2, int y2, const double *color4, int thickness, int line_type) {
    CV_GUARD(-1,
        cv::Mat img = wrap(image);
        cv::rectangle(img, cv::Point(x1, y1), cv::Point(x2, y2), scalar(color4), thickness, line_type);
        return 0;)
}

int ctcv_put_text(ctcv_view image, const char *text, int x, int y, int font, double scale, const double *color4,
                  int thickness, int line_type, int bottom_left_origin) {
    CV_GUARD(-1,
        cv::Mat img = wrap(image);
        if (!text) fail("null text");
        cv::putText(img, text, cv::Point(x, y), font, scale, scalar(color4), thickness, line_type, bottom_left_origin != 0);
        return 0;)
}

int ctcv_text_size(const char *text, int font, double scale, int thickness, int32_t *out3) {
    CV_GUARD(-1,
        if (!text || !out3) fail("null pointer");
        int baseline = 0;
        cv::Size s = cv::getTextSize(text, font, scale, thickness, &baseline);
        out3[0] = s.width;
        out3[1] = s.height;
        out3[2] = baseline;
        return 0;)
}

}  // extern "C"
