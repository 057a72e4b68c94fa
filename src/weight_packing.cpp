#include "weight_packing.h"

#include <algorithm>

#include "checked_math.h"

namespace dcn {

int64_t panels_per_group(const ConvParams& p, size_t nr) {
  return (p.out_channels_per_group() + static_cast<int64_t>(nr) - 1) / static_cast<int64_t>(nr);
}

int64_t packed_panel_floats(const ConvParams& p, size_t nr) {
  const int64_t reduction = checked_mul(p.taps(), p.in_channels_per_group());
  return reduction < 0 ? -1 : checked_mul(checked_add(reduction, 1), static_cast<int64_t>(nr));
}

int64_t packed_weight_floats(const ConvParams& p, size_t nr) {
  const int64_t panel = packed_panel_floats(p, nr);
  return panel < 0 ? -1 : checked_product({p.groups, panels_per_group(p, nr), panel});
}

namespace {

// Panel rows of `width` consecutive output channels: rows[(tap * cg_in + c) * nr + r] = src[r * reduction +
// c * taps + tap]. The source rows are read together, a block of kChannelBlock channels ([c][tap], contiguous)
// at a time, and the block is written tap by tap, so panel rows kk = tap * cg_in + c of the block are
// contiguous: reads stay within a few cache lines per source row and writes stream forward. (Writing all taps
// of one channel at once keeps kh*kw write streams exactly cg_in * NR floats apart, a power of two that maps
// them to one L1 set.)
constexpr int64_t kChannelBlock = 16;

template <int64_t NR>
void pack_panel_rows(const float* src, int64_t reduction, int64_t cg_in, int64_t taps, float* rows) {
  const float* row[NR];
  for (int64_t r = 0; r < NR; ++r) row[r] = src + r * reduction;
  for (int64_t c0 = 0; c0 < cg_in; c0 += kChannelBlock) {
    const int64_t c1 = std::min(cg_in, c0 + kChannelBlock);
    for (int64_t tap = 0; tap < taps; ++tap) {
      for (int64_t c = c0; c < c1; ++c) {
        float* out = rows + (tap * cg_in + c) * NR;
        const int64_t at = c * taps + tap;
        for (int64_t r = 0; r < NR; ++r) out[r] = row[r][at];  // constant trip count: unrolled
      }
    }
  }
}

void pack_panel_rows_any(const float* src, int64_t reduction, int64_t cg_in, int64_t taps, int64_t width, int64_t nr,
                         float* rows) {
  for (int64_t c0 = 0; c0 < cg_in; c0 += kChannelBlock) {
    const int64_t c1 = std::min(cg_in, c0 + kChannelBlock);
    for (int64_t tap = 0; tap < taps; ++tap) {
      for (int64_t c = c0; c < c1; ++c) {
        float* out = rows + (tap * cg_in + c) * nr;
        const float* in = src + c * taps + tap;
        for (int64_t r = 0; r < width; ++r) out[r] = in[r * reduction];
      }
    }
  }
}

}  // namespace

void pack_weight_panel(const ConvParams& p, size_t nr, int64_t panel_index, const float* weight, const float* bias,
                       float* packed) {
  const int64_t taps = p.taps(), cg_in = p.in_channels_per_group(), cg_out = p.out_channels_per_group();
  const int64_t panels = panels_per_group(p, nr);
  const int64_t nr64 = static_cast<int64_t>(nr);
  const int64_t gw = panel_index / panels, panel = panel_index % panels;
  const int64_t co0 = gw * cg_out + panel * nr64;
  const int64_t width = std::min(nr64, (gw + 1) * cg_out - co0);
  const int64_t reduction = taps * cg_in;
  float* dst = packed + panel_index * packed_panel_floats(p, nr);
  for (int64_t r = 0; r < nr64; ++r) dst[r] = (r < width && bias) ? bias[co0 + r] : 0.0f;
  float* rows = dst + nr64;  // row kk = tap * cg_in + c holds weight[co0 + r][c][tap] in column r
  if (width < nr64) std::fill(rows, rows + reduction * nr64, 0.0f);
  const float* src = weight + co0 * reduction;
  switch (width == nr64 ? nr64 : 0) {  // full panels of the tile widths in use: the row loop unrolled
    case 8: return pack_panel_rows<8>(src, reduction, cg_in, taps, rows);
    case 16: return pack_panel_rows<16>(src, reduction, cg_in, taps, rows);
    case 32: return pack_panel_rows<32>(src, reduction, cg_in, taps, rows);
    default: return pack_panel_rows_any(src, reduction, cg_in, taps, width, nr64, rows);
  }
}

void pack_weights(const ConvParams& p, size_t nr, const float* weight, const float* bias, float* packed) {
  const int64_t count = p.groups * panels_per_group(p, nr);
  for (int64_t i = 0; i < count; ++i) pack_weight_panel(p, nr, i, weight, bias, packed);
}

int64_t packed_depthwise_weight_floats(const ConvParams& p) { return checked_mul(p.taps() + 1, p.out_channels); }

void pack_depthwise_weights(const ConvParams& p, const float* weight, const float* bias, float* packed) {
  const int64_t taps = p.taps(), C = p.out_channels;
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t tap = 0; tap < taps; ++tap) packed[tap * C + c] = weight[c * taps + tap];
    packed[taps * C + c] = bias ? bias[c] : 0.0f;
  }
}

int64_t transposed_panels_per_group(const ConvParams& p, size_t nr) {
  const int64_t reduction = checked_mul(p.taps(), p.in_channels_per_group());
  return reduction < 0 ? -1 : (reduction + static_cast<int64_t>(nr) - 1) / static_cast<int64_t>(nr);
}

int64_t transposed_panel_floats(const ConvParams& p, size_t nr) {
  return checked_mul(checked_add(p.out_channels_per_group(), 1), static_cast<int64_t>(nr));
}

int64_t packed_transposed_weight_floats(const ConvParams& p, size_t nr) {
  const int64_t panels = transposed_panels_per_group(p, nr), panel = transposed_panel_floats(p, nr);
  return panels < 0 || panel < 0 ? -1 : checked_product({p.groups, panels, panel});
}

void pack_weights_transposed(const ConvParams& p, size_t nr, const float* weight, float* packed) {
  const int64_t taps = p.taps(), cg_in = p.in_channels_per_group(), cg_out = p.out_channels_per_group();
  const int64_t reduction = taps * cg_in, panels = transposed_panels_per_group(p, nr);
  const int64_t nr64 = static_cast<int64_t>(nr);
  float* dst = packed;
  for (int64_t gw = 0; gw < p.groups; ++gw) {
    for (int64_t panel = 0; panel < panels; ++panel) {
      const int64_t kk0 = panel * nr64;
      const int64_t width = std::min(nr64, reduction - kk0);
      std::fill(dst, dst + nr, 0.0f);
      dst += nr;
      for (int64_t col = 0; col < cg_out; ++col) {
        const int64_t co = gw * cg_out + col;
        for (int64_t r = 0; r < nr64; ++r) {
          const int64_t kk = kk0 + r, tap = kk / cg_in, c = kk % cg_in;  // kk = tap * cg_in + c
          dst[r] = r < width ? weight[(co * cg_in + c) * taps + tap] : 0.0f;
        }
        dst += nr;
      }
    }
  }
}

}  // namespace dcn
