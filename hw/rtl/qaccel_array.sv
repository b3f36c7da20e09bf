// SPDX-License-Identifier: MIT
//
// Rows x Cols output-stationary systolic array.
//
// Row r of A enters at the left of row r, row c of B (one output channel)
// at the top of column c; the caller skews both edges (row r delayed by r
// cycles, column c by c cycles) so that PE(r,c) multiplies matching k.  The
// tile-end flag reaches the PEs of anti-diagonal r + c together
// (last_i[r + c], delayed by the caller), as A and B do.  Every
// PE's output register is visible at once on acc_o, so draining a tile needs
// no shift chain.  In GEMV mode every PE multiplies its own pair of a_dir_i/b_dir_i
// and acc_o carries the products, one cycle later (see qaccel_pe).  A
// generate grid of PE instances (not a for loop over an unpacked array in
// one always_ff) keeps Verilator 5.006 happy at every size.  acc_o is an
// unpacked array of words: its readers (the post engine's capture, the GEMV
// adder trees) take single words, and a simulator never assembles a
// Rows*Cols*32-bit vector on every clock edge.

module qaccel_array #(
  parameter int unsigned Rows = 4,
  parameter int unsigned Cols = 4
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  logic                              clear_i,
  input  logic [Rows-1:0][9:0]              a_i,
  input  logic [Cols-1:0][9:0]              b_i,
  input  logic [Rows+Cols-2:0]              last_i,
  input  logic                              gemv_i,
  input  logic [Rows-1:0][Cols-1:0][9:0]    a_dir_i,
  input  logic [Rows-1:0][Cols-1:0][9:0]    b_dir_i,
  output logic [31:0]                       acc_o [Rows][Cols]
);

  // a_w[r][c] is the A operand entering PE(r,c); column Cols is the unused
  // output of the last PE.  b_w likewise downwards.
  logic signed [9:0] a_w [Rows][Cols+1];
  logic signed [9:0] b_w [Rows+1][Cols];

  for (genvar r = 0; r < Rows; r++) begin : g_a_edge
    assign a_w[r][0] = a_i[r];
  end
  for (genvar c = 0; c < Cols; c++) begin : g_b_edge
    assign b_w[0][c] = b_i[c];
  end

  for (genvar r = 0; r < Rows; r++) begin : g_row
    for (genvar c = 0; c < Cols; c++) begin : g_col
      qaccel_pe u_pe (
        .clk_i,
        .rst_ni,
        .clear_i,
        .a_i   (a_w[r][c]),
        .b_i   (b_w[r][c]),
        .last_i (last_i[r + c]),
        .a_o   (a_w[r][c+1]),
        .b_o   (b_w[r+1][c]),
        .gemv_i,
        .a_dir_i (a_dir_i[r][c]),
        .b_dir_i (b_dir_i[r][c]),
        .acc_o (acc_o[r][c])
      );
    end
  end

  // The last column's and last row's outgoing operands go nowhere.
  logic unused_edges;
  always_comb begin
    unused_edges = 1'b0;
    for (int r = 0; r < Rows; r++) unused_edges ^= ^a_w[r][Cols];
    for (int c = 0; c < Cols; c++) unused_edges ^= ^b_w[Rows][c];
  end

endmodule
