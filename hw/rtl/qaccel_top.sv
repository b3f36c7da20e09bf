// SPDX-License-Identifier: MIT
//
// qaccel: an int8 GEMM accelerator with an NVMe-like host interface.
//
//   AXI4-Lite --> qaccel_regs --(queue state, events)--> qaccel_core
//                                                        |  sequencer, scratchpads,
//                                                        |  qaccel_array, qaccel_post
//                                                        v
//   AXI4 master <------------------------------------ qaccel_dma
//
// See docs/hw-architecture.md.

module qaccel_top
  import qaccel_pkg::*;
#(
  parameter int unsigned Rows = 4,
  parameter int unsigned Cols = 4
) (
  input  logic         clk_i,
  input  logic         rst_ni,

  // AXI4-Lite slave: registers
  input  logic         s_awvalid_i,
  output logic         s_awready_o,
  input  logic [11:0]  s_awaddr_i,
  input  logic         s_wvalid_i,
  output logic         s_wready_o,
  input  logic [31:0]  s_wdata_i,
  input  logic [3:0]   s_wstrb_i,
  output logic         s_bvalid_o,
  input  logic         s_bready_i,
  output logic [1:0]   s_bresp_o,
  input  logic         s_arvalid_i,
  output logic         s_arready_o,
  input  logic [11:0]  s_araddr_i,
  output logic         s_rvalid_o,
  input  logic         s_rready_i,
  output logic [31:0]  s_rdata_o,
  output logic [1:0]   s_rresp_o,

  // AXI4 master: DMA
  output logic         m_awvalid_o,
  input  logic         m_awready_i,
  output logic [63:0]  m_awaddr_o,
  output logic [7:0]   m_awlen_o,
  output logic [2:0]   m_awsize_o,
  output logic [1:0]   m_awburst_o,
  output logic [3:0]   m_awid_o,
  output logic         m_wvalid_o,
  input  logic         m_wready_i,
  output logic [511:0] m_wdata_o,
  output logic [63:0]  m_wstrb_o,
  output logic         m_wlast_o,
  input  logic         m_bvalid_i,
  output logic         m_bready_o,
  input  logic [1:0]   m_bresp_i,
  input  logic [3:0]   m_bid_i,
  output logic         m_arvalid_o,
  input  logic         m_arready_i,
  output logic [63:0]  m_araddr_o,
  output logic [7:0]   m_arlen_o,
  output logic [2:0]   m_arsize_o,
  output logic [1:0]   m_arburst_o,
  output logic [3:0]   m_arid_o,
  input  logic         m_rvalid_i,
  output logic         m_rready_o,
  input  logic [511:0] m_rdata_i,
  input  logic [1:0]   m_rresp_i,
  input  logic         m_rlast_i,
  input  logic [3:0]   m_rid_i,

  output logic         irq_o,
  output logic         idle_o
);

  // A C row of int32 is the widest write, the 64-byte record the narrowest.
  localparam int unsigned WrBytes = Cols * 4 > CqeBytes ? Cols * 4 : CqeBytes;
  // Read tags carry a scratchpad byte address (see qaccel_core).
  localparam int unsigned TagW    = 24;

  localparam logic [31:0] Caps = (32'd1 << CapGemmI32) | (32'd1 << CapRequant) |
                                 (32'd1 << CapPerChannel) | (32'd1 << CapBias) |
                                 (32'd1 << CapUint8In) |
                                 // qaccel_core's GEMV lanes need 64 PEs
                                 (32'(Rows * Cols >= 64) << CapGemv);

  // The tag carries a 5-bit row index and the array edges are sized for it.
  if (Rows < 2 || Rows > 32 || Cols < 2 || Cols > 32) begin : g_bad_size
    $error("qaccel_top: Rows and Cols must be 2..32");
  end

  logic        soft_rst;
  logic        enable, fatal, phase;
  logic [63:0] sq_base, cq_base;
  logic [11:0] sq_mask, cq_mask, sq_head, sq_tail, cq_head, cq_tail;
  logic        sq_advance, job_done, fatal_set, busy, core_idle, dev_idle;
  logic [15:0] fatal_code;
  logic [63:0] fatal_addr;
  logic [47:0] macs;
  logic        dma_stall, compute_stall;

  logic                 tlb_flush;
  logic                 req_valid, req_ready, req_write, req_phys;
  logic [2:0]           req_stream;
  logic                 req_seq;
  logic [63:0]          req_table, req_x;
  logic [31:0]          req_size;
  logic [15:0]          req_len;
  logic [TagW-1:0]      req_tag;
  logic [WrBytes*8-1:0] req_wdata;
  logic                 rd_valid;
  logic [TagW-1:0]      rd_tag;
  logic [511:0]         rd_data;
  logic [15:0]          rd_pos;
  logic [6:0]           rd_cnt;
  logic                 rd_last;
  logic                 err_valid, err_bounds, err_phys, err_cqe;
  logic                 req_cqe, cqe_ack;
  logic [2:0]           err_stream;
  logic                 dma_idle, dma_rd_idle, dma_wr_room, rd_beat;
  logic [6:0]           wr_bytes;

  assign dev_idle = core_idle && dma_idle;
  assign idle_o   = dev_idle;

  qaccel_regs #(.Rows(Rows), .Cols(Cols), .Caps(Caps)) u_regs (
    .clk_i,
    .rst_ni,
    .s_awvalid_i, .s_awready_o, .s_awaddr_i,
    .s_wvalid_i, .s_wready_o, .s_wdata_i, .s_wstrb_i,
    .s_bvalid_o, .s_bready_i, .s_bresp_o,
    .s_arvalid_i, .s_arready_o, .s_araddr_i,
    .s_rvalid_o, .s_rready_i, .s_rdata_o, .s_rresp_o,
    .soft_rst_o      (soft_rst),
    .enable_o        (enable),
    .fatal_o         (fatal),
    .sq_base_o       (sq_base),
    .cq_base_o       (cq_base),
    .cq_mask_o       (cq_mask),
    .sq_mask_o       (sq_mask),
    .sq_head_o       (sq_head),
    .sq_tail_o       (sq_tail),
    .cq_head_o       (cq_head),
    .cq_tail_o       (cq_tail),
    .phase_o         (phase),
    .sq_advance_i    (sq_advance),
    .job_done_i      (job_done),
    .fatal_set_i     (fatal_set),
    .fatal_code_i    (fatal_code),
    .fatal_addr_i    (fatal_addr),
    .busy_i          (busy),
    .idle_i          (dev_idle),
    .macs_i          (macs),
    .rd_beat_i       (rd_beat),
    .wr_bytes_i      (wr_bytes),
    .dma_stall_i     (dma_stall),
    .compute_stall_i (compute_stall),
    .irq_o
  );

  qaccel_core #(.Rows(Rows), .Cols(Cols), .WrBytes(WrBytes), .TagW(TagW)) u_core (
    .clk_i,
    .rst_ni,
    .soft_rst_i      (soft_rst),
    .enable_i        (enable),
    .fatal_i         (fatal),
    .sq_base_i       (sq_base),
    .cq_base_i       (cq_base),
    .cq_mask_i       (cq_mask),
    .sq_mask_i       (sq_mask),
    .sq_head_i       (sq_head),
    .sq_tail_i       (sq_tail),
    .cq_head_i       (cq_head),
    .cq_tail_i       (cq_tail),
    .phase_i         (phase),
    .sq_advance_o    (sq_advance),
    .job_done_o      (job_done),
    .fatal_set_o     (fatal_set),
    .fatal_code_o    (fatal_code),
    .fatal_addr_o    (fatal_addr),
    .busy_o          (busy),
    .idle_o          (core_idle),
    .macs_o          (macs),
    .dma_stall_o     (dma_stall),
    .compute_stall_o (compute_stall),
    .tlb_flush_o     (tlb_flush),
    .req_valid_o     (req_valid),
    .req_ready_i     (req_ready),
    .req_write_o     (req_write),
    .req_phys_o      (req_phys),
    .req_cqe_o       (req_cqe),
    .req_stream_o    (req_stream),
    .req_seq_o       (req_seq),
    .req_table_o     (req_table),
    .req_size_o      (req_size),
    .req_x_o         (req_x),
    .req_len_o       (req_len),
    .req_tag_o       (req_tag),
    .req_wdata_o     (req_wdata),
    .rd_valid_i      (rd_valid),
    .rd_tag_i        (rd_tag),
    .rd_data_i       (rd_data),
    .rd_pos_i        (rd_pos),
    .rd_cnt_i        (rd_cnt),
    .rd_last_i       (rd_last),
    .err_valid_i     (err_valid),
    .err_bounds_i    (err_bounds),
    .err_phys_i      (err_phys),
    .err_cqe_i       (err_cqe),
    .cqe_ack_i       (cqe_ack),
    .err_stream_i    (err_stream),
    .dma_idle_i      (dma_idle),
    .dma_rd_idle_i   (dma_rd_idle),
    .dma_wr_room_i   (dma_wr_room),
    .rd_beat_i       (rd_beat),
    .wr_bytes_i      (wr_bytes)
  );

  qaccel_dma #(.WrBytes(WrBytes), .TagW(TagW)) u_dma (
    .clk_i,
    .rst_ni,
    .soft_rst_i   (soft_rst),
    .tlb_flush_i  (tlb_flush),
    .req_valid_i  (req_valid),
    .req_ready_o  (req_ready),
    .req_write_i  (req_write),
    .req_phys_i   (req_phys),
    .req_cqe_i    (req_cqe),
    .req_stream_i (req_stream),
    .req_seq_i    (req_seq),
    .req_table_i  (req_table),
    .req_size_i   (req_size),
    .req_x_i      (req_x),
    .req_len_i    (req_len),
    .req_tag_i    (req_tag),
    .req_wdata_i  (req_wdata),
    .rd_valid_o   (rd_valid),
    .rd_tag_o     (rd_tag),
    .rd_data_o    (rd_data),
    .rd_pos_o     (rd_pos),
    .rd_cnt_o     (rd_cnt),
    .rd_last_o    (rd_last),
    .err_valid_o  (err_valid),
    .err_bounds_o (err_bounds),
    .err_phys_o   (err_phys),
    .err_cqe_o    (err_cqe),
    .cqe_ack_o    (cqe_ack),
    .err_stream_o (err_stream),
    .idle_o       (dma_idle),
    .rd_idle_o    (dma_rd_idle),
    .wr_room_o    (dma_wr_room),
    .rd_beat_o    (rd_beat),
    .wr_bytes_o   (wr_bytes),
    .m_awvalid_o, .m_awready_i, .m_awaddr_o, .m_awlen_o, .m_awsize_o, .m_awburst_o, .m_awid_o,
    .m_wvalid_o, .m_wready_i, .m_wdata_o, .m_wstrb_o, .m_wlast_o,
    .m_bvalid_i, .m_bready_o, .m_bresp_i, .m_bid_i,
    .m_arvalid_o, .m_arready_i, .m_araddr_o, .m_arlen_o, .m_arsize_o, .m_arburst_o, .m_arid_o,
    .m_rvalid_i, .m_rready_o, .m_rdata_i, .m_rresp_i, .m_rlast_i, .m_rid_i
  );

endmodule
