// SPDX-License-Identifier: MIT
//
// DMA engine: turns byte-range requests into 64-byte AXI4 beats.
//
// A request names a byte range [x, x+len) either in device-physical space
// (rings) or inside a buffer described by a two-level page table (operands).
// Buffer requests are bounds checked against the buffer size, then split at
// 64-byte boundaries.  Reads go out as INCR bursts of up to 64 beats that
// stop at each 4 KiB page end (one translation per burst); writes are at most
// WrBytes long and go out as one burst (two if the range crosses a page end):
// each burst holds one of the memory's request slots for a whole latency, so a
// C row of 128 bytes (32 columns) costs one slot, not two.
// Translation keeps, per operand stream, the last level-0 table pointer and
// the last DmaWays 64-byte lines of level-0 entries (8 pages, 32 KiB each), so
// sequential
// access walks the tables once per 32 KiB (two PTE reads at most, both
// through the same read port), and a tile's rows that alternate between
// neighbouring pages do not walk at all.
//
// A stream buffer of DmaPfLines lines serves requests marked sequential
// (req_seq_i: GEMV's B, which walks pages in order): a burst that hits line
// L first reads each of L+1 .. L+DmaPfLines that is nowhere in the cache
// (ways, buffer, or on its way there) into the buffer, and a miss that finds
// its line there moves it into the stream's victim way instead of walking.
// Two lines ahead because a GEMV tile's rows may span more than two lines
// (7 rows of 11 KiB: ~2.4 lines per tile), and a walk waits for every data
// beat queued before it: with one line ahead, 1 x 4096 x 11008 walked once
// per tile and the memory idled ~115 cycles each time.  The ways themselves
// are never evicted by a prefetch, so rows revisited chunk after chunk keep
// hitting.  The buffer line a prefetch replaces is the first that holds none
// of L+1 .. L+DmaPfLines, even one still in flight: its response is told
// from the new one by its tag and dropped.  A flush marks lines in flight
// dead; a dead line is not reused until its response has come back.  Which
// lines are read depends only on the order of the bursts, not on when
// responses arrive (except right after a flush), so the functional model
// reads the same bytes.
//
// Reads: up to DmaDepth bursts in flight; the memory answers in order, so the
// tag of each burst is queued when it is issued and popped by its last beat.
// Each data beat is handed to the consumer as the bytes [rd_pos_o,
// rd_pos_o + rd_cnt_o) of the range, starting at rd_data_o[7:0];
// rd_last_o marks the range's last beat.
// Writes: the range's bytes are placed and strobed per beat, so bytes outside
// it are never written.
//
// CTRL.RESET (soft_rst_i) abandons requests at once but cannot recall beats
// already on the bus: a generation bit in each queued tag marks them stale and
// their responses are dropped, while AXI valids already raised stay up until
// accepted.

module qaccel_dma
  import qaccel_pkg::*;
#(
  parameter int unsigned WrBytes    = 64,  // widest write range
  parameter int unsigned TagW       = 8,
  // Writes in flight before wr_room_o drops.  Fewer than the memory's 16
  // request slots, so that the stores of a C tile (one burst per row, each
  // holding a slot for a whole memory latency) cannot starve operand reads;
  // but only by one: wr_room_o keeps room for a write that crosses a page
  // (two bursts), so at most WrRoom - 1 writes are in flight, and at 32x32
  // a tile's 32 C rows are what bounds it (512^3: 88.1 % with 14, 90.2 %
  // with 15, 91.0 % with 16, which leaves the reads no slot of their own).
  parameter int unsigned WrRoom     = 15
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  input  logic                    soft_rst_i,
  input  logic                    tlb_flush_i,

  // Request: accepted in one cycle whenever ready.
  input  logic                    req_valid_i,
  output logic                    req_ready_o,
  input  logic                    req_write_i,
  input  logic                    req_phys_i,    // x is a device address
  input  logic                    req_cqe_i,     // a completion record (a write)
  input  logic [2:0]              req_stream_i,  // TLB and error attribution
  input  logic                    req_seq_i,     // prefetch the next PTE line
  input  logic [63:0]             req_table_i,   // level-1 table
  input  logic [31:0]             req_size_i,    // buffer size (bounds)
  input  logic [63:0]             req_x_i,
  input  logic [15:0]             req_len_i,     // reads 1..65535, writes 1..WrBytes
  input  logic [TagW-1:0]         req_tag_i,     // returned with read data
  input  logic [WrBytes*8-1:0]    req_wdata_i,

  // Read data, one beat per cycle at most.
  output logic                    rd_valid_o,
  output logic [TagW-1:0]         rd_tag_o,
  output logic [511:0]            rd_data_o,
  output logic [15:0]             rd_pos_o,
  output logic [6:0]              rd_cnt_o,      // 1..64
  output logic                    rd_last_o,

  // First error of a request or response: a one-cycle pulse.
  output logic                    err_valid_o,
  output logic                    err_bounds_o,  // else fault
  output logic                    err_phys_o,
  output logic                    err_cqe_o,     // a completion record's write failed

  // A completion record's write was acknowledged (in issue order).
  output logic                    cqe_ack_o,
  output logic [2:0]              err_stream_o,

  output logic                    idle_o,
  output logic                    rd_idle_o,     // no read in flight or pending
  output logic                    wr_room_o,     // a WrBytes write would not wait
  output logic                    rd_beat_o,
  output logic [6:0]              wr_bytes_o,

  // AXI4 master
  output logic                    m_awvalid_o,
  input  logic                    m_awready_i,
  output logic [63:0]             m_awaddr_o,
  output logic [7:0]              m_awlen_o,
  output logic [2:0]              m_awsize_o,
  output logic [1:0]              m_awburst_o,
  output logic [3:0]              m_awid_o,
  output logic                    m_wvalid_o,
  input  logic                    m_wready_i,
  output logic [511:0]            m_wdata_o,
  output logic [63:0]             m_wstrb_o,
  output logic                    m_wlast_o,
  input  logic                    m_bvalid_i,
  output logic                    m_bready_o,
  input  logic [1:0]              m_bresp_i,
  input  logic [3:0]              m_bid_i,
  output logic                    m_arvalid_o,
  input  logic                    m_arready_i,
  output logic [63:0]             m_araddr_o,
  output logic [7:0]              m_arlen_o,
  output logic [2:0]              m_arsize_o,
  output logic [1:0]              m_arburst_o,
  output logic [3:0]              m_arid_o,
  input  logic                    m_rvalid_i,
  output logic                    m_rready_o,
  input  logic [511:0]            m_rdata_i,
  input  logic [1:0]              m_rresp_i,
  input  logic                    m_rlast_i,
  input  logic [3:0]              m_rid_i
);

  localparam int unsigned ShBytes = WrBytes + 64;
  localparam int unsigned PfW     = DmaPfLines > 1 ? $clog2(DmaPfLines) : 1;

  typedef struct packed {
    logic              gen;
    logic              pte;
    logic              pf;     // a PTE prefetch
    logic [PfW-1:0]    pfe;    // ... into this buffer line
    logic [14:0]       ptag;   // ... of this line of entries
    logic              phys;
    logic [2:0]        stream;
    logic [TagW-1:0]    tag;
    logic signed [16:0] lo;    // range byte at byte 0 of the burst's first beat
    logic [5:0]         off;   // PTE: byte of the entry
    logic [15:0]        len;
  } rd_meta_t;

  typedef struct packed {
    logic       gen;
    logic       cqe;
    logic       phys;
    logic [2:0] stream;
  } wr_meta_t;

  typedef enum logic [1:0] {
    DmaIdle,
    DmaIssue,
    DmaWaitPte
  } dma_state_e;

  dma_state_e state_q, state_d;

  // Current request.
  logic                 write_q, phys_q, cqe_q, seq_q;
  logic [2:0]           stream_q;
  logic [63:3]          table_q;  // PTEs are 8-byte aligned
  logic [63:0]          blk_q, end_q;
  logic [5:0]           off_q;
  logic [15:0]          len_q;
  logic [TagW-1:0]      tag_q;
  logic [10:0]          bi_q;   // blocks issued so far
  logic [5:0]           wleft_q;  // W beats of the current write burst still to go
  logic [WrBytes*8-1:0] wdata_q;
  logic                 walk_l1_q;  // the outstanding PTE read is level 1
  logic                 gen_q;

  // Translation cache, one entry per stream.
  // DmaWays lines of level-0 entries per stream, replaced round robin except
  // that the way just used is skipped: a tile's rows that span several
  // lines (B rows of 4 KiB: 16 pages, two lines; GEMV rows of 11 KiB: three
  // lines per 7 rows) walk once per line instead of once per row and chunk.
  localparam int unsigned WayW = DmaWays > 1 ? $clog2(DmaWays) : 1;
  logic [DmaStreams-1:0]                     l1_vld_q;
  logic [DmaStreams-1:0][WayW-1:0]           pg_vic_q;   // next way to replace
  logic [DmaStreams-1:0][DmaWays-1:0]        pg_vld_q;
  logic [DmaStreams-1:0][8:0]                l1_tag_q;
  logic [DmaStreams-1:0][DmaWays-1:0][14:0]  pg_tag_q;   // x[29:15]
  logic [DmaStreams-1:0][51:0]               l1_ptr_q;
  logic [DmaStreams-1:0][DmaWays-1:0][511:0] pg_line_q;  // level-0 entries of x[29:15]
  // The stream buffer, per line: valid, read in flight, flushed while in flight.
  logic [DmaPfLines-1:0]             sb_vld_q, sb_pend_q, sb_dead_q;
  logic [DmaPfLines-1:0][2:0]        sb_stream_q;
  logic [DmaPfLines-1:0][14:0]       sb_tag_q;
  logic [DmaPfLines-1:0][511:0]      sb_line_q;

  // AXI address/data registers.
  logic         arvalid_q, awvalid_q, wvalid_q;
  logic [63:0]  araddr_q, awaddr_q;
  logic [7:0]   arlen_q, awlen_q;
  logic         wlast_q;
  logic [511:0] wbeat_q;
  logic [63:0]  wstrb_q;

  logic       err_q, err_bounds_q, err_phys_q, err_cqe_q;
  logic [2:0] err_stream_q;

  // ---------------------------------------------------------------------
  // Tag queues
  // ---------------------------------------------------------------------
  rd_meta_t rq_in, rq_out;
  wr_meta_t wq_in, wq_out;
  logic     rq_push, rq_empty, rq_full;
  logic     wq_push, wq_empty, wq_full;

  logic [$clog2(DmaDepth):0]   rq_count;
  logic [$clog2(DmaDepth):0]   wq_count;

  qaccel_fifo #(.Width($bits(rd_meta_t)), .Depth(DmaDepth)) u_rd_tags (
    .clk_i, .rst_ni,
    .push_i (rq_push), .data_i (rq_in),
    .pop_i  (m_rvalid_i && m_rlast_i), .data_o (rq_out),
    .empty_o (rq_empty), .full_o (rq_full), .count_o (rq_count)
  );

  qaccel_fifo #(.Width($bits(wr_meta_t)), .Depth(DmaDepth)) u_wr_tags (
    .clk_i, .rst_ni,
    .push_i (wq_push), .data_i (wq_in),
    .pop_i  (m_bvalid_i), .data_o (wq_out),
    .empty_o (wq_empty), .full_o (wq_full), .count_o (wq_count)
  );

  // A write range is at most two bursts (it crosses at most one page end).
  localparam int unsigned WrBlocks = (WrBytes + 63 + 63) / 64;
  // Bits of a write's length and of its beat index.
  localparam int unsigned LenW     = $clog2(WrBytes + 1);
  localparam int unsigned BiW      = WrBlocks > 4 ? $clog2(WrBlocks) : 2;
  localparam int unsigned WrBursts = WrBlocks < 2 ? WrBlocks : 2;
  assign wr_room_o = 32'(wq_count) + WrBursts <= WrRoom;

  // ---------------------------------------------------------------------
  // Issue: translate the current block and raise one request
  // ---------------------------------------------------------------------
  logic [2:0]  s;
  logic        pg_hit, l1_hit, last_blk, ar_free, aw_free, w_free, w_more;
  logic [63:0] data_addr, pte_addr;
  logic [ShBytes*8-1:0] wsh;
  logic [ShBytes-1:0]   wmask_sh;

  assign s         = stream_q;
  logic [63:0] pg_pte;
  logic        pg_bad;
  logic [DmaWays-1:0] pg_way_hit;
  logic [WayW-1:0] pg_way;      // the way that hits
  always_comb begin
    pg_way = '0;
    for (int w = 0; w < DmaWays; w++) begin
      pg_way_hit[w] = pg_vld_q[s][w] && pg_tag_q[s][w] == blk_q[29:15];
      if (pg_way_hit[w]) pg_way = WayW'(w);
    end
  end
  assign pg_pte    = pg_line_q[s][pg_way][{blk_q[14:12], 6'd0} +: 64];
  assign pg_hit    = phys_q || pg_way_hit != '0;
  assign pg_bad    = !phys_q && !pg_pte[PteValid];
  assign l1_hit    = l1_vld_q[s] && l1_tag_q[s] == blk_q[29:21];
  // A burst runs to the range's end, the page's end or 64 beats.  A write
  // burst's data goes out one beat per issue (w_more: the AW went out with
  // an earlier beat of the same burst), so blk_q advances by one block.
  logic [10:0] blks_left, burst, step;
  logic [6:0]  to_page;
  assign blks_left = 11'((end_q - blk_q + 64'd63) >> 6);
  assign to_page   = 7'd64 - {1'b0, blk_q[11:6]};
  assign burst     = blks_left < 11'(to_page) ? blks_left : 11'(to_page);
  assign step      = write_q ? 11'd1 : burst;
  assign last_blk  = step == blks_left;
  assign w_more    = write_q && wleft_q != '0;
  // A register is free again in the cycle its request is accepted.
  assign ar_free   = (!arvalid_q || m_arready_i) && !rq_full;
  assign w_free    = !wvalid_q || m_wready_i;
  assign aw_free   = (!awvalid_q || m_awready_i) && w_free && !wq_full;
  assign data_addr = phys_q ? blk_q : {pg_pte[63:12], blk_q[11:6], 6'd0};
  assign pte_addr  = l1_hit ? {l1_ptr_q[s], blk_q[20:15], 6'd0}
                            : {table_q, 3'd0} + {52'd0, blk_q[29:21], 3'd0};

  // Write beat: the range shifted to its place in the aligned blocks.
  assign wsh      = {{(ShBytes-WrBytes)*8{1'b0}}, wdata_q} << {off_q, 3'd0};
  assign wmask_sh = ((ShBytes'(1) << len_q[LenW-1:0]) - ShBytes'(1)) << off_q;

  logic issue_data, issue_pte, issue_pf, sb_take;

  // Prefetch wanted: a sequential buffer read that hits line L; pf_next is
  // the first of L+1 .. L+DmaPfLines that is in neither a way nor the
  // buffer (nor on its way there) and lies in the same level-0 table, whose
  // address this stream's level-1 entry gives; pf_line the buffer line it
  // goes to.  One prefetch per cycle, before the data burst.
  logic [14:0]         pf_next;
  logic [PfW-1:0]      pf_line, sb_take_line;
  logic                pf_want, pf_any, pf_free, sb_hit, sb_wait;
  logic [DmaPfLines-1:0] sb_ahead;  // holds one of L+1 .. L+DmaPfLines
  // Behind their conditions (a sequential read; a buffer in use), so that
  // a simulator skips them in the cycles, and on the arrays, that have none.
  always_comb begin
    logic [14:0] c;
    logic        have;
    c            = '0;
    have         = 1'b0;
    pf_any       = 1'b0;
    pf_next      = '0;
    pf_free      = 1'b0;
    pf_line      = '0;
    sb_hit       = 1'b0;
    sb_wait      = 1'b0;
    sb_take_line = '0;
    sb_ahead     = '0;
    if (seq_q && !phys_q && !write_q) begin
      for (int d = DmaPfLines; d >= 1; d--) begin
        c    = blk_q[29:15] + 15'(d);
        have = 1'b0;
        for (int w = 0; w < DmaWays; w++) begin
          if (pg_vld_q[s][w] && pg_tag_q[s][w] == c) have = 1'b1;
        end
        for (int e = 0; e < DmaPfLines; e++) begin
          if ((sb_vld_q[e] || sb_pend_q[e]) && sb_stream_q[e] == s && sb_tag_q[e] == c) have = 1'b1;
        end
        if (!have && l1_vld_q[s] && l1_tag_q[s] == c[14:6]) begin
          pf_any  = 1'b1;
          pf_next = c;
        end
      end
    end
    if (sb_vld_q != '0 || sb_pend_q != '0) begin
      for (int e = DmaPfLines - 1; e >= 0; e--) begin
        for (int d = 1; d <= DmaPfLines; d++) begin
          if ((sb_vld_q[e] || sb_pend_q[e]) && sb_stream_q[e] == s &&
              sb_tag_q[e] == blk_q[29:15] + 15'(d)) sb_ahead[e] = 1'b1;
        end
        if (sb_stream_q[e] == s && sb_tag_q[e] == blk_q[29:15]) begin
          if (sb_vld_q[e]) begin
            sb_hit       = 1'b1;
            sb_take_line = PfW'(e);
          end
          if (sb_pend_q[e] && !sb_dead_q[e]) sb_wait = 1'b1;
        end
      end
    end
    for (int e = DmaPfLines - 1; e >= 0; e--) begin
      if (!sb_ahead[e] && !(sb_pend_q[e] && sb_dead_q[e])) begin
        pf_free = 1'b1;
        pf_line = PfW'(e);
      end
    end
  end
  assign pf_want = seq_q && !phys_q && !write_q && pg_way_hit != '0 && pf_any && pf_free;

  // PTE beat
  logic [63:0] pte;
  logic        rq_live;
  assign rq_live = m_rvalid_i && rq_out.gen == gen_q;
  assign pte     = m_rdata_i[{rq_out.off[5:3], 6'd0} +: 64];

  logic pte_arrived, pte_bad;
  assign pte_arrived = rq_live && rq_out.pte && !rq_out.pf && state_q == DmaWaitPte;
  // A prefetched line lands only in the buffer line still waiting for it.
  logic pf_arrived;
  assign pf_arrived  = rq_live && rq_out.pf && sb_pend_q[rq_out.pfe] &&
                       sb_tag_q[rq_out.pfe] == rq_out.ptag;
  // A level-0 line is kept whole; its entries are checked when used.
  assign pte_bad     = m_rresp_i != 2'b00 || (walk_l1_q && !pte[PteValid]);

  logic req_bounds;
  assign req_bounds = !req_phys_i &&
                      (req_x_i + 64'(req_len_i) > 64'(req_size_i) ||
                       req_x_i + 64'(req_len_i) > 64'(MaxBufSize));

  // A soft reset in the middle of a write burst leaves its last beats owed
  // to the bus (AWLEN is out): they go out before the next request.
  assign req_ready_o = state_q == DmaIdle && wleft_q == '0;

  always_comb begin
    state_d    = state_q;
    issue_data = 1'b0;
    issue_pte  = 1'b0;
    issue_pf   = 1'b0;
    sb_take    = 1'b0;
    unique case (state_q)
      DmaIdle: begin
        if (wleft_q != '0) issue_data = w_free;
        else if (req_valid_i && !req_bounds) state_d = DmaIssue;
      end
      DmaIssue: begin
        if (w_more) begin
          // The rest of a write burst: same page, translated with its AW.
          if (w_free) begin
            issue_data = 1'b1;
            if (last_blk) state_d = DmaIdle;
          end
        end else if (pg_hit && pg_bad) begin
          state_d = DmaIdle;
        end else if (pg_hit) begin
          if (pf_want) begin
            issue_pf = ar_free;  // the data burst goes next cycle
          end else if (write_q ? aw_free : ar_free) begin
            issue_data = 1'b1;
            if (last_blk) state_d = DmaIdle;
          end
        end else if (sb_hit) begin
          sb_take = 1'b1;        // into the victim way; hits next cycle
        end else if (sb_wait) begin
          // This line is on its way into the buffer: wait for it.
        end else if (ar_free) begin
          issue_pte = 1'b1;
          state_d   = DmaWaitPte;
        end
      end
      DmaWaitPte: begin
        if (pte_arrived) state_d = pte_bad ? DmaIdle : DmaIssue;
      end
      default: state_d = DmaIdle;
    endcase
  end

  // A request abandoned by a soft reset raises no valid, so it queues no tag.
  assign rq_push = !soft_rst_i && (issue_pte || issue_pf || (issue_data && !write_q));
  assign wq_push = !soft_rst_i && issue_data && write_q && !w_more;

  always_comb begin
    rq_in        = '0;
    rq_in.gen    = gen_q;
    rq_in.pte    = issue_pte || issue_pf;
    rq_in.pf     = issue_pf;
    rq_in.pfe    = pf_line;
    rq_in.ptag   = pf_next;
    rq_in.phys   = phys_q;
    rq_in.stream = stream_q;
    rq_in.tag    = tag_q;
    rq_in.lo     = $signed({bi_q[9:0], 6'd0}) - $signed({11'd0, off_q});
    rq_in.off    = pte_addr[5:0];
    rq_in.len    = len_q;
    wq_in        = '{gen: gen_q, cqe: cqe_q, phys: phys_q, stream: stream_q};
  end

  // ---------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= DmaIdle;
      write_q   <= 1'b0;
      phys_q    <= 1'b0;
      cqe_q     <= 1'b0;
      stream_q  <= '0;
      table_q   <= '0;
      blk_q     <= '0;
      end_q     <= '0;
      off_q     <= '0;
      len_q     <= '0;
      tag_q     <= '0;
      bi_q      <= '0;
      wleft_q   <= '0;
      wdata_q   <= '0;
      walk_l1_q <= 1'b0;
      gen_q     <= 1'b0;
      seq_q     <= 1'b0;
      sb_vld_q    <= '0;
      sb_pend_q   <= '0;
      sb_dead_q   <= '0;
      sb_stream_q <= '0;
      sb_tag_q    <= '0;
      sb_line_q   <= '0;
      l1_vld_q  <= '0;
      pg_vld_q  <= '0;
      pg_vic_q  <= '0;
      l1_tag_q  <= '0;
      pg_tag_q  <= '0;
      l1_ptr_q  <= '0;
      err_q        <= 1'b0;
      err_bounds_q <= 1'b0;
      err_phys_q   <= 1'b0;
      err_cqe_q    <= 1'b0;
      err_stream_q <= '0;
    end else if (soft_rst_i) begin
      state_q   <= DmaIdle;
      gen_q     <= ~gen_q;
      l1_vld_q  <= '0;
      pg_vld_q  <= '0;
      sb_vld_q  <= '0;
      sb_pend_q <= '0;  // their responses are stale (gen) and dropped
      sb_dead_q <= '0;
      err_q     <= 1'b0;
    end else begin
      state_q <= state_d;
      err_q   <= 1'b0;

      if (req_ready_o && req_valid_i) begin
        write_q  <= req_write_i;
        phys_q   <= req_phys_i;
        cqe_q    <= req_cqe_i;
        seq_q    <= req_seq_i;
        stream_q <= req_stream_i;
        table_q  <= req_table_i[63:3];
        blk_q    <= {req_x_i[63:6], 6'd0};
        end_q    <= req_x_i + 64'(req_len_i);
        off_q    <= req_x_i[5:0];
        len_q    <= req_len_i;
        tag_q    <= req_tag_i;
        bi_q     <= '0;
        wdata_q  <= req_wdata_i;
      end

      if (issue_data) begin
        blk_q <= blk_q + {47'd0, step, 6'd0};
        bi_q  <= bi_q + step;
      end
      if (issue_data && write_q) wleft_q <= w_more ? wleft_q - 6'd1 : 6'(burst - 11'd1);
      if (issue_pte) walk_l1_q <= !l1_hit;
      // The way just used is not the next victim.
      if (issue_data && !phys_q && pg_way == pg_vic_q[s]) pg_vic_q[s] <= pg_vic_q[s] + 1'b1;

      // Stream buffer.  A failed prefetch just leaves it empty: a walk
      // reports the error if the entry is ever needed.
      // A prefetch may be issued into the line whose (stale) response lands
      // in the same cycle: the issue wins and the line waits for its new tag.
      if (pf_arrived) begin
        sb_pend_q[rq_out.pfe] <= 1'b0;
        sb_dead_q[rq_out.pfe] <= 1'b0;
        sb_vld_q[rq_out.pfe]  <= !sb_dead_q[rq_out.pfe] && !tlb_flush_i && m_rresp_i == 2'b00;
        sb_line_q[rq_out.pfe] <= m_rdata_i;
      end
      if (issue_pf) begin
        sb_pend_q[pf_line]   <= 1'b1;
        sb_vld_q[pf_line]    <= 1'b0;
        sb_stream_q[pf_line] <= s;
        sb_tag_q[pf_line]    <= pf_next;
      end
      if (sb_take) begin
        sb_vld_q[sb_take_line]     <= 1'b0;
        pg_vld_q[s][pg_vic_q[s]]   <= 1'b1;
        pg_tag_q[s][pg_vic_q[s]]   <= blk_q[29:15];
        pg_line_q[s][pg_vic_q[s]]  <= sb_line_q[sb_take_line];
        pg_vic_q[s]                <= pg_vic_q[s] + 1'b1;
      end

      if (tlb_flush_i) begin
        l1_vld_q  <= '0;
        pg_vld_q  <= '0;
        sb_vld_q  <= '0;
        for (int e = 0; e < DmaPfLines; e++) begin
          sb_dead_q[e] <= sb_pend_q[e] && !(pf_arrived && rq_out.pfe == PfW'(e));
        end
      end else if (pte_arrived && !pte_bad) begin
        if (walk_l1_q) begin
          l1_vld_q[s] <= 1'b1;
          l1_tag_q[s] <= blk_q[29:21];
          l1_ptr_q[s] <= pte[63:12];
        end else begin
          pg_vld_q[s][pg_vic_q[s]]  <= 1'b1;
          pg_tag_q[s][pg_vic_q[s]]  <= blk_q[29:15];
          pg_line_q[s][pg_vic_q[s]] <= m_rdata_i;
          pg_vic_q[s]               <= pg_vic_q[s] + 1'b1;
        end
      end

      // One error per cycle is enough: the core keeps only the first.
      if (req_ready_o && req_valid_i && req_bounds) begin
        err_q        <= 1'b1;
        err_bounds_q <= 1'b1;
        err_phys_q   <= 1'b0;
        err_cqe_q    <= 1'b0;
        err_stream_q <= req_stream_i;
      end else if ((pte_arrived && pte_bad) || (state_q == DmaIssue && pg_hit && pg_bad)) begin
        err_q        <= 1'b1;
        err_bounds_q <= 1'b0;
        err_phys_q   <= phys_q;
        err_cqe_q    <= 1'b0;
        err_stream_q <= stream_q;
      end else if (rq_live && !rq_out.pte && m_rresp_i != 2'b00) begin
        err_q        <= 1'b1;
        err_bounds_q <= 1'b0;
        err_phys_q   <= rq_out.phys;
        err_cqe_q    <= 1'b0;
        err_stream_q <= rq_out.stream;
      end else if (m_bvalid_i && wq_out.gen == gen_q && m_bresp_i != 2'b00) begin
        err_q        <= 1'b1;
        err_bounds_q <= 1'b0;
        err_phys_q   <= wq_out.phys;
        err_cqe_q    <= wq_out.cqe;
        err_stream_q <= wq_out.stream;
      end
    end
  end

  // AXI valids follow the protocol even across a soft reset.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      arvalid_q <= 1'b0;
      araddr_q  <= '0;
      arlen_q   <= '0;
      awvalid_q <= 1'b0;
      awaddr_q  <= '0;
      awlen_q   <= '0;
      wvalid_q  <= 1'b0;
      wlast_q   <= 1'b0;
      wbeat_q   <= '0;
      wstrb_q   <= '0;
    end else begin
      if (arvalid_q && m_arready_i) arvalid_q <= 1'b0;
      if (awvalid_q && m_awready_i) awvalid_q <= 1'b0;
      if (wvalid_q && m_wready_i)   wvalid_q  <= 1'b0;
      if (!soft_rst_i && issue_pte) begin
        arvalid_q <= 1'b1;
        araddr_q  <= {pte_addr[63:6], 6'd0};
        arlen_q   <= '0;
      end else if (!soft_rst_i && issue_pf) begin
        arvalid_q <= 1'b1;
        araddr_q  <= {l1_ptr_q[s], pf_next[5:0], 6'd0};
        arlen_q   <= '0;
      end else if (!soft_rst_i && issue_data && !write_q) begin
        arvalid_q <= 1'b1;
        araddr_q  <= data_addr;
        arlen_q   <= 8'(burst - 11'd1);
      end
      if (!soft_rst_i && issue_data && write_q && !w_more) begin
        awvalid_q <= 1'b1;
        awaddr_q  <= data_addr;
        awlen_q   <= 8'(burst - 11'd1);
      end
      if (!soft_rst_i && issue_data && write_q) begin
        wvalid_q  <= 1'b1;
        wlast_q   <= w_more ? wleft_q == 6'd1 : burst == 11'd1;
        wbeat_q   <= 512'(wsh >> {bi_q[BiW-1:0], 9'd0});
        wstrb_q   <= 64'(wmask_sh >> {bi_q[BiW-1:0], 6'd0});
      end
    end
  end

  // ---------------------------------------------------------------------
  // Outputs
  // ---------------------------------------------------------------------
  // Beat position inside its burst; stale bursts are counted too, so the
  // count stays right across a soft reset.
  logic [5:0] rbeat_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rbeat_q <= '0;
    end else if (m_rvalid_i) begin
      rbeat_q <= m_rlast_i ? 6'd0 : rbeat_q + 6'd1;
    end
  end

  // Byte 0 of this beat is range byte lo (negative before the range starts).
  logic signed [16:0] beat_lo, beat_hi;
  logic [5:0]         skip;
  assign beat_lo = rq_out.lo + $signed({5'd0, rbeat_q, 6'd0});
  assign beat_hi = beat_lo + 17'sd64;
  assign skip    = beat_lo < 0 ? 6'(-beat_lo) : 6'd0;

  assign rd_valid_o = rq_live && !rq_out.pte;
  assign rd_tag_o   = rq_out.tag;
  assign rd_data_o  = m_rdata_i >> {skip, 3'd0};
  assign rd_pos_o   = beat_lo < 0 ? 16'd0 : 16'(beat_lo);
  assign rd_cnt_o   = 7'((beat_hi > $signed({1'b0, rq_out.len}) ? $signed({1'b0, rq_out.len})
                                                                  : beat_hi)
                         - $signed({1'b0, rd_pos_o}));
  assign rd_last_o  = beat_hi >= $signed({1'b0, rq_out.len});

  assign err_valid_o  = err_q;
  assign err_bounds_o = err_bounds_q;
  assign err_phys_o   = err_phys_q;
  assign err_cqe_o    = err_cqe_q;
  assign cqe_ack_o    = m_bvalid_i && wq_out.gen == gen_q && wq_out.cqe && m_bresp_i == 2'b00;
  assign err_stream_o = err_stream_q;

  assign idle_o = state_q == DmaIdle && rq_empty && wq_empty &&
                  !arvalid_q && !awvalid_q && !wvalid_q;
  assign rd_idle_o = state_q == DmaIdle && rq_empty && !arvalid_q;
  assign rd_beat_o  = m_rvalid_i;
  assign wr_bytes_o = (wvalid_q && m_wready_i) ? 7'($countones(wstrb_q)) : 7'd0;

  assign m_arvalid_o = arvalid_q;
  assign m_araddr_o  = araddr_q;
  assign m_arlen_o   = arlen_q;
  assign m_arsize_o  = 3'd6;
  assign m_arburst_o = 2'b01;
  assign m_arid_o    = '0;
  assign m_rready_o  = 1'b1;

  assign m_awvalid_o = awvalid_q;
  assign m_awaddr_o  = awaddr_q;
  assign m_awlen_o   = awlen_q;
  assign m_awsize_o  = 3'd6;
  assign m_awburst_o = 2'b01;
  assign m_awid_o    = '0;
  assign m_wvalid_o  = wvalid_q;
  assign m_wdata_o   = wbeat_q;
  assign m_wstrb_o   = wstrb_q;
  assign m_wlast_o   = wlast_q;
  assign m_bready_o  = 1'b1;

  // ---------------------------------------------------------------------
  // Assertions on the AXI4 master port (compiled in with verilator --assert)
  // ---------------------------------------------------------------------
`ifndef SYNTHESIS
  // A raised valid stays up, its payload unchanged, until ready.
  ar_held: assert property (@(posedge clk_i) disable iff (!rst_ni)
                            m_arvalid_o && !m_arready_i |=>
                            m_arvalid_o && $stable({m_araddr_o, m_arlen_o}))
    else $error("qaccel_dma: AR dropped or changed before ready");
  aw_held: assert property (@(posedge clk_i) disable iff (!rst_ni)
                            m_awvalid_o && !m_awready_i |=>
                            m_awvalid_o && $stable({m_awaddr_o, m_awlen_o}))
    else $error("qaccel_dma: AW dropped or changed before ready");
  w_held: assert property (@(posedge clk_i) disable iff (!rst_ni)
                           m_wvalid_o && !m_wready_i |=>
                           m_wvalid_o && $stable({m_wdata_o, m_wstrb_o}))
    else $error("qaccel_dma: W dropped or changed before ready");

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      // Bursts of whole 64-byte beats, at most AxiMaxBurst of them, that
      // stay inside one 4 KiB page.
      if (m_arvalid_o) begin
        assert (m_araddr_o[5:0] == '0 && 32'(m_arlen_o) < AxiMaxBurst &&
                32'(m_araddr_o[11:0]) + (32'(m_arlen_o) + 1) * 64 <= 4096)
          else $error("qaccel_dma: AR burst at %h, %0d beats", m_araddr_o, m_arlen_o + 1);
      end
      if (m_awvalid_o) begin
        assert (m_awaddr_o[5:0] == '0 &&
                32'(m_awaddr_o[11:0]) + (32'(m_awlen_o) + 1) * 64 <= 4096 &&
                (32'(m_awlen_o) + 1) * 64 < WrBytes + 128)
          else $error("qaccel_dma: AW burst at %h, %0d beats", m_awaddr_o, m_awlen_o + 1);
      end
      // No more than DmaDepth bursts in flight per direction: a burst is
      // issued only with a free tag, and every response has its tag.
      assert (!(rq_push && rq_full)) else $error("qaccel_dma: read tag queue overflow");
      assert (!(wq_push && wq_full)) else $error("qaccel_dma: write tag queue overflow");
      assert (!(m_rvalid_i && rq_empty)) else $error("qaccel_dma: R beat with no burst");
      assert (!(m_bvalid_i && wq_empty)) else $error("qaccel_dma: B with no burst");
      // Requests arrive only when ready; write ranges fit one write.
      assert (!(req_valid_i && req_ready_o && req_write_i) ||
              (req_len_i != '0 && 32'(req_len_i) <= WrBytes))
        else $error("qaccel_dma: write of %0d bytes", req_len_i);
    end
  end
`endif

  // One ID, in-order memory: IDs carry no information.
  logic unused_axi;
  assign unused_axi = ^{m_rid_i, m_bid_i, req_table_i[2:0], rq_out.off[2:0], bi_q[10], rq_count};

endmodule
