// SPDX-License-Identifier: MIT
//
// One lane of the output stage, bit-exact with lib/qaccel_ref.c's
// requantization of the job's family followed by + c_zero_point and the
// clamp (docs/quantization.md states each formula):
//   RqGemmlowp: left shift (wrapping), gemmlowp
//     SaturatingRoundingDoublingHighMul, RoundingDivideByPOT;
//   RqSingle: the exact 64-bit acc * M, + 2^(30-shift), arithmetic shift
//     right by 31-shift, saturated to int32;
//   RqFp32: float(acc) rounded to nearest even, times the binary32 scale
//     rounded to nearest even (an overflow to infinity saturates), then
//     rounded half to even to an integer, saturated to int32.
// The int32 result gets the zero point added in 34 bits (so it cannot wrap;
// the reference's pre-saturation gives the same clamped result since the
// clamp bounds are within -128..255) and the clamp.
// Purely combinational; one 32x32 multiplier serves both Q31 families.
// en_i: the lane's result is wanted this cycle; otherwise q_o is zero and
// (in a simulator) nothing of the lane is evaluated, since the post engine
// needs a lane only for the one cycle a row spends in it.
// mult_i/shift_i are already validated (rq_param_ok): shift -31..30, or an
// FP32 scale that is positive, normal and finite with shift 0.

module qaccel_requant
  import qaccel_pkg::*;
(
  input  logic               en_i,
  input  logic [31:0]        acc_i,    // accumulator plus bias
  input  rq_mode_e           rq_i,
  input  logic [31:0]        mult_i,   // Q31 multiplier, or the FP32 scale's bits
  input  logic signed [5:0]  shift_i,  // > 0 shifts left
  input  logic signed [15:0] zp_i,
  input  logic signed [15:0] min_i,
  input  logic signed [15:0] max_i,
  output logic [7:0]         q_o
);

  // One block, its working values local, so that a lane that is not
  // enabled costs a simulator one test; each family computes only its own.
  always_comb begin
    logic [4:0]         left, right;
    logic signed [31:0] shifted, trunc, high, mask, remainder, threshold;
    logic signed [63:0] ab, nudged, single;
    logic [5:0]         total;   // SINGLE: 31 - shift, 1..62
    // FP32: values are kept as a 24-bit significand times a power of two.
    logic               f_neg;
    logic [31:0]        f_mag, f_norm;
    logic [5:0]         f_lz;
    logic [24:0]        f_ma_r;
    logic [23:0]        f_ma, f_ms, f_mp;
    logic signed [9:0]  f_ea, f_exp;  // float(acc) = f_ma * 2^f_ea; the product f_mp * 2^f_exp
    logic [47:0]        f_p;
    logic [23:0]        f_top;
    logic               f_g, f_st;
    logic [24:0]        f_pr;
    logic [5:0]         f_sh;
    logic [49:0]        f_wide;
    logic [30:0]        f_int;
    logic signed [31:0] r;
    logic signed [33:0] wide;

    q_o = '0;
    if (en_i) begin
      unique case (rq_i)
        // ---- SINGLE: the exact 64-bit acc * M -----------------------------
        RqSingle: begin
          ab = 64'($signed(acc_i)) * 64'($signed(mult_i));
          // |ab| <= 2^62 and the nudge <= 2^61, so 64 bits hold the sum.
          total  = 6'(7'sd31 - 7'(shift_i));
          single = (ab + (64'sd1 <<< (total - 6'd1))) >>> total;
          if (single > 64'sd2147483647) begin
            r = 32'sh7fff_ffff;
          end else if (single < -64'sd2147483648) begin
            r = 32'sh8000_0000;
          end else begin
            r = single[31:0];
          end
        end

        // ---- FP32 ---------------------------------------------------------
        RqFp32: begin
          f_neg = acc_i[31];
          f_mag = f_neg ? 32'd0 - acc_i : acc_i;  // 2^31 for INT32_MIN

          // int32 -> binary32: normalize, round the 32 bits to 24 half to even.
          f_lz = 6'd32;
          for (int b = 0; b < 32; b++) begin
            if (f_mag[b]) f_lz = 6'(31 - b);
          end
          f_norm = f_mag << f_lz[4:0];
          f_ma_r = {1'b0, f_norm[31:8]} +
                   25'(f_norm[7] && (f_norm[6:0] != 7'd0 || f_norm[8]));
          if (f_ma_r[24]) begin
            f_ma = 24'h80_0000;
            f_ea = 10'sd9 - 10'(f_lz);
          end else begin
            f_ma = f_ma_r[23:0];
            f_ea = 10'sd8 - 10'(f_lz);
          end

          // binary32 x binary32 (both normal): the 48-bit product rounded to
          // 24 bits half to even.  scale = f_ms * 2^(exponent - 150).
          f_ms = {1'b1, mult_i[22:0]};
          f_p  = 48'(f_ma) * 48'(f_ms);
          if (f_p[47]) begin
            f_top = f_p[47:24];
            f_g   = f_p[23];
            f_st  = f_p[22:0] != 23'd0;
            f_exp = f_ea + 10'($unsigned(mult_i[30:23])) - 10'sd150 + 10'sd24;
          end else begin
            f_top = f_p[46:23];
            f_g   = f_p[22];
            f_st  = f_p[21:0] != 22'd0;
            f_exp = f_ea + 10'($unsigned(mult_i[30:23])) - 10'sd150 + 10'sd23;
          end
          f_pr = {1'b0, f_top} + 25'(f_g && (f_st || f_top[0]));
          if (f_pr[24]) begin
            f_mp  = 24'h80_0000;
            f_exp = f_exp + 10'sd1;
          end else begin
            f_mp = f_pr[23:0];
          end

          // binary32 -> int32, half to even.  |v| >= 2^31 (f_exp >= 8, which
          // includes infinity) saturates; below 2^-1 (a shift of 25 or more)
          // is 0.
          f_sh   = f_exp <= -10'sd26 ? 6'd26 : (f_exp < 0 ? 6'(-f_exp) : 6'd0);
          f_wide = {f_mp, 26'd0} >> f_sh;
          if (f_exp >= 0) begin
            f_int = 31'(f_mp) << f_exp[2:0];
          end else begin
            f_int = 31'(f_wide[49:26]) +
                    31'(f_wide[25] && (f_wide[24:0] != 25'd0 || f_wide[26]));
          end
          if (f_mag == 32'd0) begin
            r = 32'sd0;
          end else if (f_exp >= 10'sd8) begin
            r = f_neg ? 32'sh8000_0000 : 32'sh7fff_ffff;
          end else begin
            r = f_neg ? -$signed({1'b0, f_int}) : $signed({1'b0, f_int});
          end
        end

        // ---- GEMMLOWP -----------------------------------------------------
        default: begin
          left    = shift_i > 0 ? shift_i[4:0] : 5'd0;
          right   = shift_i > 0 ? 5'd0 : 5'(-shift_i);
          shifted = $signed(acc_i << left);
          ab      = 64'(shifted) * 64'($signed(mult_i));

          // SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31, truncating.
          nudged = ab + (ab >= 0 ? 64'sd1073741824 : -64'sd1073741823);
          // trunc fits int32 except in the saturating case handled below.
          trunc  = 32'((nudged + (nudged < 0 ? 64'sd2147483647 : 64'sd0)) >>> 31);
          if (shifted == 32'sh8000_0000 && mult_i == 32'h8000_0000) begin
            high = 32'sh7fff_ffff;
          end else begin
            high = trunc;
          end

          // RoundingDivideByPOT(high, right).
          mask      = $signed((32'd1 << right) - 32'd1);
          remainder = high & mask;
          threshold = (mask >>> 1) + (high < 0 ? 32'sd1 : 32'sd0);
          r         = (high >>> right) + (remainder > threshold ? 32'sd1 : 32'sd0);
        end
      endcase

      // ---- zero point and clamp -------------------------------------------
      wide = 34'(r) + 34'(zp_i);
      if (wide < 34'(min_i)) begin
        wide = 34'(min_i);
      end
      if (wide > 34'(max_i)) begin
        wide = 34'(max_i);
      end
      q_o = wide[7:0];
    end
  end

  // The FP32 sign bit is validated zero.
  logic unused_bits;
  assign unused_bits = mult_i[31];

endmodule
