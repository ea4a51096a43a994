// ResNet50 (torchvision layout) forward written directly against libtorch's C++ API, the
// reference for the cost of CAMKit's Swift layer. Same ops as CAMKit's Swift forward, eval mode,
// random weights. Usage: resnet50_forward BATCH ITERS THREADS
#include <torch/torch.h>
#include <chrono>
#include <cstdio>
#include <vector>

struct ConvBN {
    at::Tensor w, g, b, m, v;
    int64_t stride, pad;
    ConvBN(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p)
        : w(at::randn({out, in, k, k}) * std::sqrt(2.0 / (in * k * k))), g(at::ones({out})), b(at::zeros({out})),
          m(at::zeros({out})), v(at::ones({out})), stride(s), pad(p) {}
    at::Tensor operator()(const at::Tensor &x) const {
        auto c = at::conv2d(x, w, {}, {stride, stride}, {pad, pad});
        return at::batch_norm(c, g, b, m, v, false, 0.1, 1e-5, false);
    }
};

struct Bottleneck {
    ConvBN c1, c2, c3;
    bool has_down;
    ConvBN down;
    Bottleneck(int64_t in, int64_t planes, int64_t stride)
        : c1(in, planes, 1, 1, 0), c2(planes, planes, 3, stride, 1), c3(planes, planes * 4, 1, 1, 0),
          has_down(stride != 1 || in != planes * 4), down(in, planes * 4, 1, stride, 0) {}
    at::Tensor operator()(const at::Tensor &x) const {
        auto y = c1(x).relu();
        y = c2(y).relu();
        y = c3(y);
        auto id = has_down ? down(x) : x;
        return (y + id).relu();
    }
};

int main(int argc, char **argv) {
    int batch = argc > 1 ? std::atoi(argv[1]) : 1;
    int iters = argc > 2 ? std::atoi(argv[2]) : 10;
    int threads = argc > 3 ? std::atoi(argv[3]) : 2;
    at::set_num_threads(threads);
    torch::manual_seed(0);
    ConvBN stem(3, 64, 7, 2, 3);
    std::vector<Bottleneck> blocks;
    int64_t in = 64;
    int counts[4] = {3, 4, 6, 3}, widths[4] = {64, 128, 256, 512};
    for (int s = 0; s < 4; ++s)
        for (int b = 0; b < counts[s]; ++b) {
            blocks.emplace_back(in, widths[s], (b == 0 && s > 0) ? 2 : 1);
            in = widths[s] * 4;
        }
    auto fcw = at::randn({1000, 2048}) * 0.01, fcb = at::zeros({1000});
    auto x = at::randn({batch, 3, 224, 224});
    c10::InferenceMode guard;
    auto forward = [&]() {
        auto y = stem(x).relu();
        y = at::max_pool2d(y, {3, 3}, {2, 2}, {1, 1});
        for (auto &b : blocks) y = b(y);
        return at::linear(y.mean({2, 3}), fcw, fcb);
    };
    forward();  // warm-up
    std::vector<double> times;
    for (int i = 0; i < iters; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto out = forward();
        auto t1 = std::chrono::steady_clock::now();
        times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(times.begin(), times.end());
    std::printf("{\"impl\":\"cpp\",\"batch\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f}\n", batch, times[times.size() / 2], times[0]);
    return 0;
}
