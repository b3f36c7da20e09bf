// SPDX-License-Identifier: MIT
//
// DMA request arbiter: one request port of qaccel_dma shared by the command
// processor (descriptor reads, completion-record writes), the loader
// (operand reads) and the post engine (C row writes), in that fixed
// priority.  The command processor requests only while the engines are
// idle; the loader goes before the post engine because its few long reads
// decide when the array can run, while the post engine has a whole tile's
// time for its writes.
//
// A request is taken in the cycle it is valid and ready (qaccel_dma's
// port); a requester may withdraw it (soft reset, failed job).  The one
// multiplier of the address path is here: x + row * stride.

module qaccel_req_arb
  import qaccel_pkg::*;
#(
  parameter int unsigned TagW    = 24,
  parameter int unsigned WrBytes = 64
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  input  logic                   cmd_valid_i,
  output logic                   cmd_ready_o,
  input  dma_req_t               cmd_req_i,
  input  logic [TagW-1:0]        cmd_tag_i,
  input  logic [WrBytes*8-1:0]   cmd_wdata_i,

  input  logic                   ld_valid_i,
  output logic                   ld_ready_o,
  input  dma_req_t               ld_req_i,
  input  logic [TagW-1:0]        ld_tag_i,

  input  logic                   post_valid_i,
  output logic                   post_ready_o,
  input  dma_req_t               post_req_i,
  input  logic [WrBytes*8-1:0]   post_wdata_i,

  output logic                   req_valid_o,
  input  logic                   req_ready_i,
  output dma_req_t               req_o,
  output logic [TagW-1:0]        req_tag_o,
  output logic [WrBytes*8-1:0]   req_wdata_o
);

  dma_req_t sel;

  assign cmd_ready_o  = req_ready_i;
  assign ld_ready_o   = req_ready_i && !cmd_valid_i;
  assign post_ready_o = req_ready_i && !cmd_valid_i && !ld_valid_i;

  always_comb begin
    req_tag_o   = '0;
    req_wdata_o = post_wdata_i;
    if (cmd_valid_i) begin
      sel         = cmd_req_i;
      req_tag_o   = cmd_tag_i;
      req_wdata_o = cmd_wdata_i;
    end else if (ld_valid_i) begin
      sel       = ld_req_i;
      req_tag_o = ld_tag_i;
    end else if (post_valid_i) begin
      sel = post_req_i;
    end else begin
      sel = '0;
    end
    req_o   = sel;
    req_o.x = sel.x + 64'(sel.row) * 64'(sel.stride);
  end

  assign req_valid_o = cmd_valid_i || ld_valid_i || post_valid_i;

`ifndef SYNTHESIS
  // The command processor requests only while the loader and the post
  // engine are idle, so the priority never holds an engine back.
  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      assert (!(cmd_valid_i && (ld_valid_i || post_valid_i)))
        else $error("qaccel_req_arb: command request while an engine requests");
    end
  end
`else
  logic unused_clk;
  assign unused_clk = ^{clk_i, rst_ni};
`endif

endmodule
