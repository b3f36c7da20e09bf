// SPDX-License-Identifier: MIT
//
// One lane of the output stage, bit-exact with lib/qaccel_ref.c
// qaccel_requant() followed by + c_zero_point and the clamp:
//   left shift (wrapping), gemmlowp SaturatingRoundingDoublingHighMul,
//   RoundingDivideByPOT, then the zero point added in 34 bits (so it cannot
//   wrap; the reference's pre-saturation gives the same clamped result since
//   the clamp bounds are within -128..255) and the clamp.
// Purely combinational; shift_i is already validated to -31..30.

module qaccel_requant (
  input  logic [31:0]        acc_i,    // accumulator plus bias
  input  logic [31:0]        mult_i,
  input  logic signed [5:0]  shift_i,  // > 0 shifts left
  input  logic signed [15:0] zp_i,
  input  logic signed [15:0] min_i,
  input  logic signed [15:0] max_i,
  output logic [7:0]         q_o
);

  logic [4:0]         left, right;
  logic signed [5:0]  neg_shift;
  logic signed [31:0] shifted, high, mask, remainder, threshold, rounded;
  logic signed [63:0] ab, nudged, trunc;
  logic signed [33:0] wide;

  always_comb begin
    neg_shift = -shift_i;
    left      = shift_i > 0 ? shift_i[4:0] : 5'd0;
    right     = shift_i > 0 ? 5'd0 : neg_shift[4:0];
    shifted   = $signed(acc_i << left);

    // SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31, truncating.
    ab     = 64'(shifted) * 64'($signed(mult_i));
    nudged = ab + (ab >= 0 ? 64'sd1073741824 : -64'sd1073741823);
    trunc  = (nudged + (nudged < 0 ? 64'sd2147483647 : 64'sd0)) >>> 31;
    if (shifted == 32'sh8000_0000 && mult_i == 32'h8000_0000) begin
      high = 32'sh7fff_ffff;
    end else begin
      high = trunc[31:0];
    end

    // RoundingDivideByPOT(high, right).
    mask      = $signed((32'd1 << right) - 32'd1);
    remainder = high & mask;
    threshold = (mask >>> 1) + (high < 0 ? 32'sd1 : 32'sd0);
    rounded   = (high >>> right) + (remainder > threshold ? 32'sd1 : 32'sd0);

    wide = 34'(rounded) + 34'(zp_i);
    if (wide < 34'(min_i)) begin
      wide = 34'(min_i);
    end
    if (wide > 34'(max_i)) begin
      wide = 34'(max_i);
    end
    q_o = wide[7:0];
  end

  // Only the low bits matter: neg_shift is at most 31 and trunc fits int32
  // except in the saturating case handled above.
  logic unused_bits;
  assign unused_bits = ^{neg_shift[5], trunc[63:32]};

endmodule
