// ROAD's linear imputation system (Rong et al. 2022, as pytorch-grad-cam sets it up), solved with
// Eigen. Includes only Eigen headers.
#include "guard.hpp"
#include "include/cimpute.h"

#include <Eigen/Sparse>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace {
/// The neighbour offsets (row, column) and weights, in the order the right-hand side sums them.
struct Neighbour {
    int dy, dx;
    double weight;
};
const Neighbour neighbours[8] = {
    {1, 1, 1.0 / 12}, {0, 1, 1.0 / 6}, {-1, 1, 1.0 / 12}, {1, -1, 1.0 / 12},
    {0, -1, 1.0 / 6}, {-1, -1, 1.0 / 12}, {1, 0, 1.0 / 6}, {-1, 0, 1.0 / 6},
};

}  // namespace

extern "C" int32_t cimpute_linear(const float *image, int32_t channels, int32_t height, int32_t width, const uint8_t *known, float *out) {
    CIMPUTE_GUARD(-1, {
        if (!image || !known || !out || channels <= 0 || height <= 0 || width <= 0) throw std::invalid_argument("cimpute_linear: empty input");
        const int h = height, w = width, c = channels;
        const size_t plane = size_t(h) * w;
        std::copy(image, image + plane * c, out);
        std::vector<int> variable(plane, -1);
        std::vector<int> pixels;
        for (size_t p = 0; p < plane; ++p) {
            if (!known[p]) {
                variable[p] = int(pixels.size());
                pixels.push_back(int(p));
            }
        }
        const int n = int(pixels.size());
        if (n == 0) return 0;
        if (size_t(n) == plane) {
            // Nothing kept: the system is singular with a zero right-hand side; pytorch-grad-cam's
            // solver (SuperLU) returns 0 for it, and so does this. With any pixel kept, every
            // 8-connected region of imputed pixels borders one, and the system is definite.
            std::fill(out, out + plane * c, 0.0f);
            return 0;
        }

        // Row i: sum_j w_j x_j - s_i x_i = -sum_k w_k v_k (j imputed, k known, s_i the in-bounds
        // weight). Solved as its negation, which is symmetric positive definite.
        std::vector<Eigen::Triplet<double>> entries;
        entries.reserve(size_t(n) * 9);
        Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(n, c);
        for (int i = 0; i < n; ++i) {
            int y = pixels[i] / w, x = pixels[i] % w;
            double inBounds = 1.0;
            for (const auto &nb : neighbours) {
                int yy = y + nb.dy, xx = x + nb.dx;
                if (yy < 0 || xx < 0 || yy >= h || xx >= w) {
                    inBounds -= nb.weight;
                    continue;
                }
                int q = yy * w + xx;
                if (known[q]) {
                    // pytorch-grad-cam multiplies in single precision and accumulates in double.
                    const float wf = float(nb.weight);
                    for (int ch = 0; ch < c; ++ch) rhs(i, ch) += double(wf * image[size_t(ch) * plane + q]);
                } else {
                    entries.emplace_back(i, variable[q], -nb.weight);
                }
            }
            entries.emplace_back(i, i, inBounds);
        }
        Eigen::SparseMatrix<double> system(n, n);
        system.setFromTriplets(entries.begin(), entries.end());
        Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> solver(system);
        if (solver.info() != Eigen::Success) throw std::runtime_error("the imputation system could not be factorised");
        Eigen::MatrixXd solution = solver.solve(rhs);
        if (solver.info() != Eigen::Success) throw std::runtime_error("the imputation system could not be solved");
        for (int i = 0; i < n; ++i) {
            for (int ch = 0; ch < c; ++ch) out[size_t(ch) * plane + pixels[i]] = float(solution(i, ch));
        }
        return 0;
    })
}
