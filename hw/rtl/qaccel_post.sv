// SPDX-License-Identifier: MIT
//
// Output stage for one row of a C tile: Cols lanes in parallel, each adding
// its column's bias and, for int8/uint8 output, requantizing (qaccel_requant)
// in the job's family with the per-tensor or per-channel multiplier (or FP32
// scale) and shift.  The result is the
// row's bytes as they go to memory (little-endian int32, or one byte per
// element), starting at byte 0.  en_i: the row is wanted this cycle (the
// requantization lanes are enabled by it; otherwise their bytes are zero).

module qaccel_post
  import qaccel_pkg::*;
#(
  parameter int unsigned Cols    = 4,
  parameter int unsigned WrBytes = 64
) (
  input  logic                   en_i,
  input  logic [Cols-1:0][31:0]  acc_i,
  input  logic [Cols-1:0][31:0]  bias_i,
  input  logic [Cols-1:0][63:0]  quant_i,      // {shift, multiplier} per column
  input  logic                   bias_en_i,
  input  logic                   per_channel_i,
  input  out_type_e              out_type_i,
  input  rq_mode_e               rq_i,
  input  logic [31:0]            mult_i,       // per-tensor
  input  logic signed [7:0]      shift_i,      // per-tensor
  input  logic signed [15:0]     zp_i,
  input  logic signed [15:0]     min_i,
  input  logic signed [15:0]     max_i,
  output logic [WrBytes*8-1:0]   row_o
);

  logic [Cols-1:0][31:0] sum;
  logic [Cols-1:0][7:0]  q;

  for (genvar c = 0; c < Cols; c++) begin : g_lane
    logic [31:0]       mult;
    logic signed [5:0] shift;

    assign sum[c] = acc_i[c] + (bias_en_i ? bias_i[c] : 32'd0);
    assign mult   = per_channel_i ? quant_i[c][31:0] : mult_i;
    assign shift  = per_channel_i ? quant_i[c][37:32] : shift_i[5:0];

    qaccel_requant u_requant (
      .en_i,
      .acc_i   (sum[c]),
      .rq_i,
      .mult_i  (mult),
      .shift_i (shift),
      .zp_i,
      .min_i,
      .max_i,
      .q_o     (q[c])
    );
  end

  always_comb begin
    row_o = '0;
    if (out_type_i == OutInt32) begin
      row_o[Cols*32-1:0] = sum;
    end else begin
      row_o[Cols*8-1:0] = q;
    end
  end

  // Shifts are validated to -31..30 (0 for FP32) before they get here, so
  // six bits carry them exactly.
  logic unused_shift;
  always_comb begin
    unused_shift = ^shift_i[7:6];
    for (int c = 0; c < Cols; c++) unused_shift ^= ^quant_i[c][63:38];
  end

endmodule
