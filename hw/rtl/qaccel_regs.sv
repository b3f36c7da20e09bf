// SPDX-License-Identifier: MIT
//
// AXI4-Lite register file (offsets and fields in qaccel_pkg / qaccel_hw.h).
//
// Owns the host-visible state: control, queue configuration and indices,
// interrupt status and enable, the fatal error latch and the free-running
// performance counters.  The command processor (qaccel_cmd) reads the queue
// state and reports progress through pulses.
//
// Writes: the slave waits for AWVALID and WVALID together (allowed by AXI),
// answers OKAY for every offset and ignores unknown ones; reads of unknown
// offsets return 0.  Reading the LO half of a 64-bit counter snapshots its
// HI half, so LO-then-HI reads are consistent.
//
// CTRL.RESET is a soft reset equal in effect to rst_ni for everything but
// this slave's handshake: soft_rst_o is decoded combinationally from the
// write so that every block clears on the same clock edge.

module qaccel_regs
  import qaccel_pkg::*;
#(
  parameter int unsigned Rows = 4,
  parameter int unsigned Cols = 4,
  parameter logic [31:0] Caps = '0
) (
  input  logic        clk_i,
  input  logic        rst_ni,

  // AXI4-Lite slave
  input  logic        s_awvalid_i,
  output logic        s_awready_o,
  input  logic [11:0] s_awaddr_i,
  input  logic        s_wvalid_i,
  output logic        s_wready_o,
  input  logic [31:0] s_wdata_i,
  input  logic [3:0]  s_wstrb_i,
  output logic        s_bvalid_o,
  input  logic        s_bready_i,
  output logic [1:0]  s_bresp_o,
  input  logic        s_arvalid_i,
  output logic        s_arready_o,
  input  logic [11:0] s_araddr_i,
  output logic        s_rvalid_o,
  input  logic        s_rready_i,
  output logic [31:0] s_rdata_o,
  output logic [1:0]  s_rresp_o,

  output logic        soft_rst_o,

  // Queue state for the command processor
  output logic        enable_o,
  output logic        fatal_o,
  output logic [63:0] sq_base_o,
  output logic [63:0] cq_base_o,
  output logic [11:0] cq_mask_o,   // size - 1
  output logic [11:0] sq_mask_o,   // size - 1
  output logic [11:0] sq_head_o,
  output logic [11:0] sq_tail_o,
  output logic [11:0] cq_head_o,
  output logic [11:0] cq_tail_o,
  output logic        phase_o,

  // Events from the command processor and the DMA
  input  logic        sq_advance_i,    // a descriptor was fetched
  input  logic        job_done_i,      // a completion record is in memory
  input  logic        fatal_set_i,
  input  logic [15:0] fatal_code_i,
  input  logic [63:0] fatal_addr_i,
  input  logic        busy_i,          // a job is in progress
  input  logic        idle_i,          // the device has nothing to do
  input  logic [47:0] macs_i,          // added on job_done_i
  input  logic        rd_beat_i,       // a 64-byte read beat arrived
  input  logic [6:0]  wr_bytes_i,      // bytes written this cycle
  input  logic        dma_stall_i,
  input  logic        compute_stall_i,

  output logic        irq_o
);

  // ---------------------------------------------------------------------
  // AXI4-Lite handshakes
  // ---------------------------------------------------------------------
  logic        bvalid_q, rvalid_q;
  logic [31:0] rdata_q;
  logic        wr_hs, rd_hs;
  logic [31:0] wmask, wval;

  assign wr_hs       = s_awvalid_i && s_wvalid_i && !bvalid_q;
  assign rd_hs       = s_arvalid_i && !rvalid_q;
  assign s_awready_o = wr_hs;
  assign s_wready_o  = wr_hs;
  assign s_bvalid_o  = bvalid_q;
  assign s_bresp_o   = 2'b00;
  assign s_arready_o = rd_hs;
  assign s_rvalid_o  = rvalid_q;
  assign s_rdata_o   = rdata_q;
  assign s_rresp_o   = 2'b00;

  assign wmask = {{8{s_wstrb_i[3]}}, {8{s_wstrb_i[2]}}, {8{s_wstrb_i[1]}}, {8{s_wstrb_i[0]}}};
  assign wval  = s_wdata_i & wmask;

  // Registers are 32-bit aligned; the byte lanes come from the strobes.
  logic unused_addr;
  assign unused_addr = ^{s_awaddr_i[1:0], s_araddr_i[1:0]};

  function automatic logic wr_to(logic [11:0] off);
    return wr_hs && {s_awaddr_i[11:2], 2'b00} == off;
  endfunction

  function automatic logic [31:0] merge(logic [31:0] old, logic [31:0] val, logic [31:0] m);
    return (old & ~m) | (val & m);
  endfunction

  assign soft_rst_o = wr_to(RegCtrl) && wval[CtrlReset];

  // ---------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------
  logic        enable_q, fatal_q;
  logic [31:0] sq_base_lo_q, sq_base_hi_q, cq_base_lo_q, cq_base_hi_q;
  logic [31:0] sq_size_q, cq_size_q;
  logic [11:0] sq_tail_q, sq_head_q, cq_head_q, cq_tail_q;
  logic        phase_q;
  logic [1:0]  int_status_q, int_enable_q;
  logic [15:0] err_code_q;
  logic [63:0] err_addr_q;

  localparam int unsigned NumCnt = 8;
  logic [NumCnt-1:0][63:0] cnt_q;
  logic [NumCnt-1:0][63:0] cnt_inc;
  logic [31:0]             snap_q;

  // A ring size is usable when it is a power of two in 2..MaxQueue.
  function automatic logic size_ok(logic [31:0] size);
    return size >= 32'd2 && size <= MaxQueue && (size & (size - 32'd1)) == '0;
  endfunction

  logic [11:0] sq_mask;
  logic queue_ok, enabling;
  assign queue_ok = size_ok(sq_size_q) && size_ok(cq_size_q) &&
                    sq_base_lo_q[6:0] == '0 && cq_base_lo_q[5:0] == '0;
  assign enabling = wr_to(RegCtrl) && !wval[CtrlReset] && s_wstrb_i[0] &&
                    s_wdata_i[CtrlEnable] && !enable_q;

  always_comb begin
    cnt_inc    = '0;
    cnt_inc[0] = 64'd1;
    cnt_inc[1] = {63'd0, busy_i};
    cnt_inc[2] = job_done_i ? {16'd0, macs_i} : 64'd0;
    cnt_inc[3] = rd_beat_i ? 64'd64 : 64'd0;
    cnt_inc[4] = {57'd0, wr_bytes_i};
    cnt_inc[5] = {63'd0, dma_stall_i};
    cnt_inc[6] = {63'd0, compute_stall_i};
    cnt_inc[7] = {63'd0, job_done_i};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      enable_q     <= 1'b0;
      fatal_q      <= 1'b0;
      sq_base_lo_q <= '0;
      sq_base_hi_q <= '0;
      cq_base_lo_q <= '0;
      cq_base_hi_q <= '0;
      sq_size_q    <= '0;
      cq_size_q    <= '0;
      sq_tail_q    <= '0;
      sq_head_q    <= '0;
      cq_head_q    <= '0;
      cq_tail_q    <= '0;
      phase_q      <= 1'b1;
      int_status_q <= '0;
      int_enable_q <= '0;
      err_code_q   <= '0;
      err_addr_q   <= '0;
      cnt_q        <= '0;
      snap_q       <= '0;
    end else if (soft_rst_o) begin
      enable_q     <= 1'b0;
      fatal_q      <= 1'b0;
      sq_base_lo_q <= '0;
      sq_base_hi_q <= '0;
      cq_base_lo_q <= '0;
      cq_base_hi_q <= '0;
      sq_size_q    <= '0;
      cq_size_q    <= '0;
      sq_tail_q    <= '0;
      sq_head_q    <= '0;
      cq_head_q    <= '0;
      cq_tail_q    <= '0;
      phase_q      <= 1'b1;
      int_status_q <= '0;
      int_enable_q <= '0;
      err_code_q   <= '0;
      err_addr_q   <= '0;
      cnt_q        <= '0;
      snap_q       <= '0;
    end else begin
      for (int i = 0; i < NumCnt; i++) begin
        cnt_q[i] <= cnt_q[i] + cnt_inc[i];
      end

      if (wr_to(RegCtrl) && s_wstrb_i[0]) enable_q <= s_wdata_i[CtrlEnable];
      if (wr_to(RegSqBaseLo)) sq_base_lo_q <= merge(sq_base_lo_q, s_wdata_i, wmask);
      if (wr_to(RegSqBaseHi)) sq_base_hi_q <= merge(sq_base_hi_q, s_wdata_i, wmask);
      if (wr_to(RegCqBaseLo)) cq_base_lo_q <= merge(cq_base_lo_q, s_wdata_i, wmask);
      if (wr_to(RegCqBaseHi)) cq_base_hi_q <= merge(cq_base_hi_q, s_wdata_i, wmask);
      if (wr_to(RegSqSize))   sq_size_q    <= merge(sq_size_q, s_wdata_i, wmask);
      if (wr_to(RegCqSize))   cq_size_q    <= merge(cq_size_q, s_wdata_i, wmask);
      if (wr_to(RegSqTail))   sq_tail_q    <= 12'(merge({20'd0, sq_tail_q}, s_wdata_i, wmask));
      if (wr_to(RegCqHead))   cq_head_q    <= 12'(merge({20'd0, cq_head_q}, s_wdata_i, wmask));
      if (wr_to(RegIntEnable)) int_enable_q <= 2'(merge({30'd0, int_enable_q}, s_wdata_i, wmask));

      // The host may reuse an SQ slot once it is fetched; CQ_TAIL moves only
      // once the record is in memory, so it never runs ahead of it.
      if (sq_advance_i) sq_head_q <= (sq_head_q + 12'd1) & sq_mask;
      if (job_done_i) begin
        cq_tail_q <= (cq_tail_q + 12'd1) & cq_mask_o;
        if (((cq_tail_q + 12'd1) & cq_mask_o) == '0) phase_q <= ~phase_q;
      end

      // W1C first, so that an event in the same cycle is not lost.
      begin
        logic [1:0] ints;
        ints = int_status_q;
        if (wr_to(RegIntStatus)) ints = ints & ~wval[1:0];
        if (job_done_i) ints[IntCq] = 1'b1;
        if (fatal_set_i || (enabling && !queue_ok)) ints[IntFatal] = 1'b1;
        int_status_q <= ints;
      end

      if (enabling && !queue_ok) begin
        fatal_q    <= 1'b1;
        err_code_q <= ErrBadQueue;
        err_addr_q <= '0;
      end else if (fatal_set_i) begin
        fatal_q    <= 1'b1;
        err_code_q <= fatal_code_i;
        err_addr_q <= fatal_addr_i;
      end

      if (rd_hs && s_araddr_i >= RegCntCycles && s_araddr_i < RegEnd && s_araddr_i[2] == 1'b0) begin
        snap_q <= cnt_q[s_araddr_i[5:3]][63:32];
      end
    end
  end

  // ---------------------------------------------------------------------
  // Read data
  // ---------------------------------------------------------------------
  logic [31:0] status;
  assign status = {28'd0, idle_i, fatal_q, busy_i, enable_q};

  // The register at addr, evaluated in the clock edge that accepts the
  // read: the address is a top-level input, and as combinational logic a
  // simulator would evaluate this mux on every input change.
  function automatic logic [31:0] read_data(logic [11:0] addr);
    logic [31:0] rdata_d;
    rdata_d = '0;
    unique case ({addr[11:2], 2'b00})
      RegId:        rdata_d = IdMagic;
      RegVersion:   rdata_d = Version;
      RegCaps:      rdata_d = Caps;
      RegArray:     rdata_d = {16'(Cols), 16'(Rows)};
      RegMaxDim:    rdata_d = MaxDim;
      RegCtrl:      rdata_d = {31'd0, enable_q};
      RegStatus:    rdata_d = status;
      RegSqBaseLo:  rdata_d = sq_base_lo_q;
      RegSqBaseHi:  rdata_d = sq_base_hi_q;
      RegCqBaseLo:  rdata_d = cq_base_lo_q;
      RegCqBaseHi:  rdata_d = cq_base_hi_q;
      RegSqSize:    rdata_d = sq_size_q;
      RegCqSize:    rdata_d = cq_size_q;
      RegSqTail:    rdata_d = {20'd0, sq_tail_q};
      RegSqHead:    rdata_d = {20'd0, sq_head_q};
      RegCqHead:    rdata_d = {20'd0, cq_head_q};
      RegCqTail:    rdata_d = {20'd0, cq_tail_q};
      RegIntStatus: rdata_d = {30'd0, int_status_q};
      RegIntEnable: rdata_d = {30'd0, int_enable_q};
      RegErrCode:   rdata_d = {16'd0, err_code_q};
      RegErrAddrLo: rdata_d = err_addr_q[31:0];
      RegErrAddrHi: rdata_d = err_addr_q[63:32];
      default: begin
        if (addr >= RegCntCycles && addr < RegEnd) begin
          rdata_d = addr[2] ? snap_q : cnt_q[addr[5:3]][31:0];
        end
      end
    endcase
    return rdata_d;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bvalid_q <= 1'b0;
      rvalid_q <= 1'b0;
      rdata_q  <= '0;
    end else begin
      if (wr_hs) begin
        bvalid_q <= 1'b1;
      end else if (s_bready_i) begin
        bvalid_q <= 1'b0;
      end
      if (rd_hs) begin
        rvalid_q <= 1'b1;
        rdata_q  <= read_data(s_araddr_i);
      end else if (s_rready_i) begin
        rvalid_q <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------------
  // Outputs
  // ---------------------------------------------------------------------
  assign enable_o  = enable_q;
  assign fatal_o   = fatal_q;
  assign sq_base_o = {sq_base_hi_q, sq_base_lo_q};
  assign cq_base_o = {cq_base_hi_q, cq_base_lo_q};
  assign sq_mask   = 12'(sq_size_q - 32'd1);
  assign cq_mask_o = 12'(cq_size_q - 32'd1);
  assign sq_head_o = sq_head_q;
  assign sq_tail_o = sq_tail_q & sq_mask;
  assign sq_mask_o = sq_mask;
  assign cq_head_o = cq_head_q & cq_mask_o;
  assign cq_tail_o = cq_tail_q;
  assign phase_o   = phase_q;
  assign irq_o     = |(int_status_q & int_enable_q);

endmodule
