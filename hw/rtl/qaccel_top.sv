// SPDX-License-Identifier: MIT
//
// qaccel: an int8 GEMM accelerator with an NVMe-like host interface.
//
//   AXI4-Lite --> qaccel_regs --(queue state, events)--> qaccel_cmd
//                                                          | job, run
//                    qaccel_loader --claim--> qaccel_spad <--> qaccel_compute
//                         |                                     | capture
//                         |                               qaccel_post_eng
//                         v                                     v
//                    qaccel_req_arb <----- (cmd's own requests, C writes)
//                         v
//   AXI4 master <--> qaccel_dma (read beats back into qaccel_spad / qaccel_cmd)
//
// This file only wires the blocks and derives their shared parameters.
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

  // Arrays of PairMinPes PEs or more are bound by their C stores: the post
  // engine writes the rows of two neighbouring tiles as one (qaccel_post_eng).
  localparam bit          PostPair = Rows * Cols >= PairMinPes;
  // A C row of int32 (two with PostPair) is the widest write, the 64-byte
  // record the narrowest.
  localparam int unsigned CRowW   = (PostPair ? 2 : 1) * Cols * 4;
  localparam int unsigned WrBytes = CRowW > CqeBytes ? CRowW : CqeBytes;
  // Read tags carry {descriptor, bank's last range, bank, scratchpad byte}.
  localparam int unsigned TagW    = 24;
  localparam int unsigned DestW   = TagW - 2 - BankW;
  // GEMV lanes of 64 multipliers (one line of A and up to GemvMaxLanes of
  // B per cycle); arrays with fewer than GemvMinPes PEs have none.
  localparam int unsigned GemvLanes = Rows * Cols < GemvMinPes ? 0 :
                                      Rows * Cols >= GemvMaxLanes * 64 ? GemvMaxLanes :
                                      Rows * Cols / 64;
  localparam int unsigned LinePorts = 1 + (GemvLanes != 0 ? GemvLanes : 1);
  // Scratchpad: Banks (qaccel_pkg: MaxBanks) banks of 64-byte lines, each
  // A (Rows x KChunk bytes), B
  // (Cols x KChunk), bias (Cols x 4) and quant (Cols x 8), and 4 spare lines
  // (qaccel_spad places them; GEMV slots share a bank's A and B areas).
  localparam int unsigned ALines     = Rows * KChunk / 64;
  localparam int unsigned BLines     = Cols * KChunk / 64;
  localparam int unsigned BiasLines  = (Cols * 4 + 63) / 64;
  localparam int unsigned QuantLines = (Cols * 8 + 63) / 64;
  localparam int unsigned BankLines  = ALines + BLines + BiasLines + QuantLines;
  localparam int unsigned Banks      = MaxBanks;
  localparam int unsigned LineW      = $clog2(Banks * BankLines + 4 + 1);
  localparam int unsigned GemvBank   = (ALines + BLines) * 64;

  localparam logic [31:0] Caps = (32'd1 << CapGemmI32) | (32'd1 << CapRequant) |
                                 (32'd1 << CapPerChannel) | (32'd1 << CapBias) |
                                 (32'd1 << CapUint8In) | (32'd1 << CapRequantModes) |
                                 (32'(GemvLanes != 0) << CapGemv);

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
  logic                 req_valid, req_ready;
  logic [TagW-1:0]      req_tag;
  logic [WrBytes*8-1:0] req_wdata;
  logic                 rd_valid;
  logic [TagW-1:0]      rd_tag;
  logic [511:0]         rd_data;
  logic [15:0]          rd_pos;
  logic [6:0]           rd_cnt;
  logic                 rd_last;
  logic                 err_valid, err_bounds, err_phys, err_cqe;
  logic                 cqe_ack;
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

  // ---------------------------------------------------------------------
  // The core: command processor, loader, compute and post engines around
  // the scratchpad, sharing the DMA's request port.
  // ---------------------------------------------------------------------
  job_t     job;
  logic     start, run, acc_clear;
  logic     cmd_req_valid, cmd_req_ready, ld_req_valid, ld_req_ready;
  logic     post_req_valid, post_req_ready;
  dma_req_t cmd_req, ld_req, post_req, arb_req;
  logic [TagW-1:0]      cmd_tag, ld_tag;
  logic [WrBytes*8-1:0] cmd_wdata, post_wdata;

  logic [MaxBanks-1:0][DestW-1:0] a_base, b_base, bias_base, quant_base;
  logic                  claim_valid, claim_ready;
  logic [BankW-1:0]      claim_bank;
  chunk_t                claim_chunk;
  logic [MaxBanks-1:0]      bank_busy, bank_full;
  chunk_t [MaxBanks-1:0]    bank_chunk;
  logic [BankW-1:0]      release_bank;
  logic                  release_valid;
  logic [Rows+Cols-1:0][DestW-1:0]  byte_addr;
  logic [Rows+Cols-1:0][7:0]        spad_byte;
  logic [LinePorts-1:0][LineW-1:0]  line_addr;
  logic [LinePorts-1:0][511:0]      spad_line;
  logic                             ld_done, comp_idle, comp_busy, comp_starved;
  logic                             cap_valid, cap_ready;
  logic [BankW-1:0]                 cap_bank;
  logic [31:0]                      cap_acc [Rows][Cols];
  logic [Cols-1:0][31:0]            cap_gacc;
  chunk_t                           cap_chunk;
  logic [Cols-1:0][31:0]            cap_bias, tile_bias;
  logic [Cols-1:0][63:0]            cap_quant, tile_quant;
  logic                             tile_done;
  logic                             post_busy, post_bad;

  // Read tag: {descriptor, last range of a bank, bank, scratchpad byte}.
  logic             rd_desc, rd_bank_last;
  logic [BankW-1:0] rd_bank;
  logic [DestW-1:0] rd_dest;
  assign {rd_desc, rd_bank_last, rd_bank, rd_dest} = rd_tag;

  qaccel_cmd #(
    .Cols(Cols), .GemvLanes(GemvLanes), .GemvBank(GemvBank), .WrBytes(WrBytes), .TagW(TagW),
    .Banks(Banks)
  ) u_cmd (
    .clk_i,
    .rst_ni,
    .clear_i         (soft_rst),
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
    .job_o           (job),
    .start_o         (start),
    .run_o           (run),
    .acc_clear_o     (acc_clear),
    .ld_done_i       (ld_done),
    .ld_blocked_i    (claim_valid && !claim_ready),
    .comp_idle_i     (comp_idle),
    .comp_busy_i     (comp_busy),
    .comp_starved_i  (comp_starved),
    .comp_cap_wait_i (cap_valid && !cap_ready),
    .post_busy_i     (post_busy),
    .post_bad_i      (post_bad),
    .bank_busy_i     (bank_busy),
    .tlb_flush_o     (tlb_flush),
    .req_valid_o     (cmd_req_valid),
    .req_ready_i     (cmd_req_ready),
    .req_o           (cmd_req),
    .req_tag_o       (cmd_tag),
    .req_wdata_o     (cmd_wdata),
    .desc_we_i       (rd_valid && rd_desc),
    .desc_beat_i     (rd_pos[$clog2(DescBuf)+6:6]),
    .rd_data_i       (rd_data),
    .err_valid_i     (err_valid),
    .err_bounds_i    (err_bounds),
    .err_phys_i      (err_phys),
    .err_cqe_i       (err_cqe),
    .err_stream_i    (err_stream),
    .cqe_ack_i       (cqe_ack),
    .dma_idle_i      (dma_idle),
    .dma_rd_idle_i   (dma_rd_idle),
    .rd_beat_i       (rd_beat),
    .wr_bytes_i      (wr_bytes)
  );

  qaccel_spad #(
    .Cols(Cols), .DestW(DestW), .BytePorts(Rows + Cols), .LinePorts(LinePorts),
    .ALines(ALines), .BLines(BLines), .BiasLines(BiasLines), .QuantLines(QuantLines),
    .LineW(LineW), .Banks(Banks)
  ) u_spad (
    .clk_i,
    .rst_ni,
    .clear_i        (soft_rst || !run),
    .a_base_o       (a_base),
    .b_base_o       (b_base),
    .bias_base_o    (bias_base),
    .quant_base_o   (quant_base),
    .wr_valid_i     (rd_valid && !rd_desc),
    .wr_bank_i      (rd_bank),
    .wr_bank_last_i (rd_bank_last),
    .wr_dest_i      (rd_dest),
    .wr_pos_i       (rd_pos),
    .wr_cnt_i       (rd_cnt),
    .wr_last_i      (rd_last),
    .wr_data_i      (rd_data),
    .claim_valid_i  (claim_valid),
    .claim_ready_o  (claim_ready),
    .claim_bank_i   (claim_bank),
    .claim_chunk_i  (claim_chunk),
    .busy_o         (bank_busy),
    .full_o         (bank_full),
    .chunk_o        (bank_chunk),
    .release_i      (release_valid),
    .release_bank_i (release_bank),
    .byte_addr_i    (byte_addr),
    .byte_o         (spad_byte),
    .line_addr_i    (line_addr),
    .line_o         (spad_line),
    .cap_bank_i     (cap_bank),
    .bias_o         (tile_bias),
    .quant_o        (tile_quant)
  );

  // A tile's bias and quant lines, kept from its last chunk's bank (which
  // the compute engine releases before the tile is copied out) for the
  // post engine's capture.  Datapath: written before any capture reads it.
  always_ff @(posedge clk_i) begin
    if (tile_done) begin
      cap_bias  <= tile_bias;
      cap_quant <= tile_quant;
    end
  end

  qaccel_loader #(.Rows(Rows), .Cols(Cols), .TagW(TagW), .DestW(DestW)) u_loader (
    .clk_i,
    .rst_ni,
    .clear_i       (soft_rst),
    .run_i         (run),
    .start_i       (start),
    .job_i         (job),
    .a_base_i      (a_base),
    .b_base_i      (b_base),
    .bias_base_i   (bias_base),
    .quant_base_i  (quant_base),
    .claim_valid_o (claim_valid),
    .claim_ready_i (claim_ready),
    .claim_bank_o  (claim_bank),
    .claim_chunk_o (claim_chunk),
    .req_valid_o   (ld_req_valid),
    .req_ready_i   (ld_req_ready),
    .req_o         (ld_req),
    .req_tag_o     (ld_tag),
    .done_o        (ld_done)
  );

  qaccel_compute #(
    .Rows(Rows), .Cols(Cols), .GemvLanes(GemvLanes), .DestW(DestW), .LineW(LineW),
    .BankLines(BankLines), .LinePorts(LinePorts)
  ) u_compute (
    .clk_i,
    .rst_ni,
    .clear_i        (soft_rst),
    .run_i          (run),
    .acc_clear_i    (acc_clear),
    .job_i          (job),
    .full_i         (bank_full),
    .chunk_i        (bank_chunk),
    .a_base_i       (a_base),
    .b_base_i       (b_base),
    .release_o      (release_valid),
    .release_bank_o (release_bank),
    .byte_addr_o    (byte_addr),
    .byte_i         (spad_byte),
    .line_addr_o    (line_addr),
    .line_i         (spad_line),
    .cap_valid_o    (cap_valid),
    .cap_ready_i    (cap_ready),
    .cap_acc_o      (cap_acc),
    .cap_gacc_o     (cap_gacc),
    .cap_chunk_o    (cap_chunk),
    .cap_bank_o     (cap_bank),
    .tile_done_o    (tile_done),
    .busy_o         (comp_busy),
    .idle_o         (comp_idle),
    .starved_o      (comp_starved)
  );

  qaccel_post_eng #(.Rows(Rows), .Cols(Cols), .WrBytes(WrBytes), .Pair(PostPair)) u_post_eng (
    .clk_i,
    .rst_ni,
    .clear_i     (soft_rst),
    .run_i       (run),
    .job_i       (job),
    .cap_valid_i (cap_valid),
    .cap_ready_o (cap_ready),
    .cap_acc_i   (cap_acc),
    .cap_gacc_i  (cap_gacc),
    .cap_chunk_i (cap_chunk),
    .cap_bias_i  (cap_bias),
    .cap_quant_i (cap_quant),
    .wr_room_i   (dma_wr_room),
    .req_valid_o (post_req_valid),
    .req_ready_i (post_req_ready),
    .req_o       (post_req),
    .req_wdata_o (post_wdata),
    .busy_o      (post_busy),
    .bad_o       (post_bad)
  );

  qaccel_req_arb #(.TagW(TagW), .WrBytes(WrBytes)) u_req_arb (
    .clk_i,
    .rst_ni,
    .cmd_valid_i  (cmd_req_valid),
    .cmd_ready_o  (cmd_req_ready),
    .cmd_req_i    (cmd_req),
    .cmd_tag_i    (cmd_tag),
    .cmd_wdata_i  (cmd_wdata),
    .ld_valid_i   (ld_req_valid),
    .ld_ready_o   (ld_req_ready),
    .ld_req_i     (ld_req),
    .ld_tag_i     (ld_tag),
    .post_valid_i (post_req_valid),
    .post_ready_o (post_req_ready),
    .post_req_i   (post_req),
    .post_wdata_i (post_wdata),
    .req_valid_o  (req_valid),
    .req_ready_i  (req_ready),
    .req_o        (arb_req),
    .req_tag_o    (req_tag),
    .req_wdata_o  (req_wdata)
  );
  // The arbiter has folded row * stride into x.
  logic unused_arb;
  assign unused_arb = ^{arb_req.row, arb_req.stride};

  qaccel_dma #(.WrBytes(WrBytes), .TagW(TagW)) u_dma (
    .clk_i,
    .rst_ni,
    .soft_rst_i   (soft_rst),
    .tlb_flush_i  (tlb_flush),
    .req_valid_i  (req_valid),
    .req_ready_o  (req_ready),
    .req_write_i  (arb_req.write),
    .req_phys_i   (arb_req.phys),
    .req_cqe_i    (arb_req.cqe),
    .req_stream_i (arb_req.stream),
    .req_seq_i    (arb_req.seq),
    .req_table_i  (arb_req.ptable),
    .req_size_i   (arb_req.size),
    .req_x_i      (arb_req.x),
    .req_len_i    (arb_req.len),
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
