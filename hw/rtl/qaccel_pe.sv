// SPDX-License-Identifier: MIT
//
// One processing element of the output-stationary systolic array.
//
// Operands arrive already offset by their zero point (10-bit signed, -383..383),
// so the product needs no correction and a zero operand is a free bubble.
// The int32 accumulator wraps modulo 2^32, as the C reference does.
//
// A tile ends with a flag (last_i, one per anti-diagonal of the array, from
// the compute engine): it arrives with the tile's last operand pair, and
// the PE then moves the finished sum into
// its output register (acc_o) and starts the next tile from zero in the
// same edge.  So the next tile's operands may follow the last ones with no
// gap, and the output registers hold the finished tile while the next one
// accumulates (the compute engine copies them out once the flag has
// reached the last PE).
//
// In GEMV mode (gemv_i) the multiplier takes its operands straight from the
// core (a_dir_i, b_dir_i) instead of the neighbours and the output register
// holds the product alone, for the core's adder trees on acc_o: the array
// lends its multipliers to the small-M datapath (qaccel_compute).

module qaccel_pe (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               clear_i,  // zero the accumulator and the operand pipeline
  input  logic signed [9:0]  a_i,      // from the left neighbour (or the A edge)
  input  logic signed [9:0]  b_i,      // from the upper neighbour (or the B edge)
  input  logic               last_i,   // with a_i: the tile's last operand pair
  input  logic               gemv_i,
  input  logic signed [9:0]  a_dir_i,  // GEMV operands
  input  logic signed [9:0]  b_dir_i,
  output logic signed [9:0]  a_o,
  output logic signed [9:0]  b_o,
  output logic [31:0]        acc_o
);

  logic signed [9:0]  a_q, b_q;
  logic [31:0]        acc_q, acc_d, out_q;
  logic signed [19:0] prod;

  assign prod  = gemv_i ? a_dir_i * b_dir_i : a_i * b_i;
  assign acc_d = (gemv_i ? 32'd0 : acc_q) + {{12{prod[19]}}, prod};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_q    <= '0;
      b_q    <= '0;
      acc_q  <= '0;
      out_q  <= '0;
    end else if (clear_i) begin
      a_q    <= '0;
      b_q    <= '0;
      acc_q  <= '0;
      out_q  <= '0;
    end else begin
      a_q    <= a_i;
      b_q    <= b_i;
      // Selects, not branches: this runs for every PE on every edge.
      out_q  <= gemv_i || last_i ? acc_d : out_q;
      acc_q  <= gemv_i || last_i ? '0 : acc_d;
    end
  end

  assign a_o    = a_q;
  assign b_o    = b_q;
  assign acc_o  = out_q;

endmodule
