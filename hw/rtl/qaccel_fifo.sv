// SPDX-License-Identifier: MIT
//
// Small synchronous FIFO with packed storage (flops); Depth is a power of 2.
// Used for the DMA's in-flight request tags: the memory answers in request
// order, so a tag pushed when a request is issued is popped by its response.
// What must stay true (asserted): no push into a full FIFO, no pop of an
// empty one.

module qaccel_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 16
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             push_i,
  input  logic [Width-1:0] data_i,
  input  logic             pop_i,
  output logic [Width-1:0] data_o,
  output logic             empty_o,
  output logic             full_o,
  output logic [$clog2(Depth):0] count_o
);

  localparam int unsigned PtrW = $clog2(Depth);

  logic [Depth-1:0][Width-1:0] mem_q;
  logic [PtrW-1:0]             rd_ptr_q, wr_ptr_q;
  logic [PtrW:0]               count_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q <= '0;
      wr_ptr_q <= '0;
      count_q  <= '0;
    end else begin
      if (push_i) wr_ptr_q <= wr_ptr_q + 1'b1;
      if (pop_i)  rd_ptr_q <= rd_ptr_q + 1'b1;
      count_q <= count_q + {{PtrW{1'b0}}, push_i} - {{PtrW{1'b0}}, pop_i};
    end
  end

  always_ff @(posedge clk_i) begin
    if (push_i) mem_q[wr_ptr_q] <= data_i;
  end

  assign data_o  = mem_q[rd_ptr_q];
  assign empty_o = count_q == '0;
  assign full_o  = count_q == Depth[PtrW:0];
  assign count_o = count_q;

`ifndef SYNTHESIS
  // The users never push into a full FIFO without popping, nor pop an
  // empty one (compiled in with verilator --assert).
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!(push_i && full_o && !pop_i)) else $error("qaccel_fifo: overflow");
      assert (!(pop_i && empty_o)) else $error("qaccel_fifo: underflow");
    end
  end
`endif

endmodule
