// SPDX-License-Identifier: MIT
//
// Compute engine: streams each full scratchpad bank through the array, in
// the loader's order (bank_next), then (last chunk of a tile) hands the
// accumulators to the post engine.
//
// Tiled mode.  A chunk is fed in kl cycles: in cycle t byte t of every row
// of A and of B is read; row r of A then passes r registers and column c of
// B c registers (the skew), so PE(r,c) sees matching k from both sides.  A
// cycle with no chunk to feed is a zero bubble on every edge, delayed like
// the operands, so chunks and tiles follow each other back to back or with
// any gap.  The last cycle of a tile's last chunk sends the tile-end flag
// with A: each PE moves its finished sum into its output register as the
// flag passes (qaccel_pe), and Rows + Cols - 2 cycles later the last PE has
// it; the tile's results then wait there for the post engine (pend) while
// the next tile streams.  A tile can end only once the previous one has
// been copied out, or its flag would overwrite the output registers.  A
// bank is released after its last feed cycle, so the loader refills it
// while the array still works on its data: the tile's position (pchunk)
// and, in qaccel_top, its bias and quant lines (tile_done_o) are kept
// until the copy.
//
// GEMV mode, four stages: in issue cycle (gi, gc) lane g reads line gi of A
// and of channel gc + g's slot into operand registers (bytes past the
// chunk's K as zeros), byte j for PE g * 64 + j (row-major); the PEs
// multiply them into their accumulator registers; the lane's adder tree
// sums the 64 products into lsum; the sum is added into the channel's
// accumulator gacc.  Lanes past the chunk's channels are not valid.  When
// every group is issued (gdone), two cycles more (gdrain) empty the
// pipeline.  Results are the tiled mode's bits: only the order of the
// int32 additions differs, and they wrap modulo 2^32 either way.
//
// Interfaces: the bank state of qaccel_spad (start on full, release when
// streamed), its byte and line read ports, and the capture handshake with
// the post engine (cap_valid_o/cap_ready_i: the accumulators are copied on
// valid && ready and cleared in the same edge).  The post engine takes the
// array's accumulators (cap_acc_o, straight from the PEs) and the GEMV
// sums (cap_gacc_o), which replace row 0 in GEMV mode.  What must stay
// true: a bank is streamed only when full, and released exactly once.

module qaccel_compute
  import qaccel_pkg::*;
#(
  parameter int unsigned Rows      = 4,
  parameter int unsigned Cols      = 4,
  parameter int unsigned GemvLanes = 0,
  parameter int unsigned DestW     = 21,
  parameter int unsigned LineW     = 11,
  parameter int unsigned BankLines = 1,
  parameter int unsigned LinePorts = 1 + (GemvLanes != 0 ? GemvLanes : 1)
) (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  input  logic                                clear_i,      // soft reset

  input  logic                                run_i,
  input  logic                                acc_clear_i,  // a job starts
  input  job_t                                job_i,

  // Scratchpad banks.
  input  logic [MaxBanks-1:0]                    full_i,
  input  chunk_t [MaxBanks-1:0]                  chunk_i,
  input  logic [MaxBanks-1:0][DestW-1:0]         a_base_i,
  input  logic [MaxBanks-1:0][DestW-1:0]         b_base_i,
  output logic                                release_o,
  output logic [BankW-1:0]                    release_bank_o,
  output logic [Rows+Cols-1:0][DestW-1:0]     byte_addr_o,
  input  logic [Rows+Cols-1:0][7:0]           byte_i,
  output logic [LinePorts-1:0][LineW-1:0]     line_addr_o,
  input  logic [LinePorts-1:0][511:0]         line_i,

  // Capture into the post engine.
  output logic                                cap_valid_o,
  input  logic                                cap_ready_i,
  output logic [31:0]                         cap_acc_o [Rows][Cols],
  output logic [Cols-1:0][31:0]               cap_gacc_o,
  output chunk_t                              cap_chunk_o,
  output logic [BankW-1:0]                    cap_bank_o,   // bank of the bias and quant lines
  output logic                                tile_done_o,  // keep them now

  output logic                                busy_o,       // streaming a bank
  output logic                                idle_o,
  output logic                                starved_o     // idle, its bank not full
);

  typedef enum logic [1:0] {
    KIdle,      // wait for a full bank (zero: the reset state)
    KRun,       // stream it through the array
    KCapture    // copy the accumulators to the post engine
  } comp_state_e;

  localparam int unsigned GL = GemvLanes != 0 ? GemvLanes : 1;
  localparam int unsigned CW = $clog2(Cols);
  localparam int unsigned PE = Rows * Cols;
  localparam int unsigned GP = GemvLanes != 0 ? GemvLanes * 64 : 1;  // PEs the lanes use

  // Sequencing; every field resets to zero, by reset and soft reset alike.
  typedef struct packed {
    comp_state_e st;     // tiled: KIdle or KRun (feeding a bank)
    logic [BankW-1:0] bank;
    logic [10:0] t;      // cycle of the chunk (tiled)
    logic        pend;   // tiled: a finished tile is in or on its way to the output registers
    chunk_t      pchunk; // its position and size
    logic [6:0]  pcnt;   // cycles until the flag has reached the last PE
    logic [5:0]  gi;     // GEMV: line of the slot being issued
    logic [5:0]  gc;     // GEMV: first channel of the lane group
    logic        gdone;  // GEMV: every group issued
  } comp_regs_t;

  // GEMV pipeline control and accumulators; cleared with the array's
  // accumulators (a job starts, a capture) and by soft reset.
  typedef struct packed {
    logic [GL-1:0]         opval;  // stage 1 -> 2: lane holds operands
    logic [GL-1:0][CW-1:0] opch;
    logic [GL-1:0]         pval;   // stage 2 -> 3: lane's PEs hold products
    logic [GL-1:0][CW-1:0] pch;
    logic [GL-1:0][31:0]   lsum;   // stage 3 -> 4: lane sums
    logic [GL-1:0]         lval;
    logic [GL-1:0][CW-1:0] lch;
    logic [Cols-1:0][31:0] gacc;
    logic [1:0]            gdrain; // gdone was set 1 and 2 cycles ago
  } gemv_regs_t;

  comp_regs_t q, d;
  gemv_regs_t gq, gd;
  chunk_t     chunk;
  logic       capture, clear_acc;
  // Tiled feed: feeding a bank, this is its last cycle, the tile ends with
  // it, the cycle feeds (not held back by an uncopied tile).
  logic       feeding, last_feed, tile_end, feed;

  assign chunk     = chunk_i[q.bank];
  assign capture   = cap_valid_o && cap_ready_i;
  assign clear_acc = acc_clear_i || capture;

  assign feeding   = q.st == KRun && !job_i.gemv;
  assign last_feed = 32'(q.t) + 1 >= 32'(chunk.kl);
  assign tile_end  = last_feed && chunk.last;
  assign feed      = feeding && !(tile_end && q.pend && !capture);

  // Zero points are validated to their element's range, so value - zp fits
  // in 10 bits and the low 10 bits of zp are enough.
  function automatic logic [9:0] operand(logic [7:0] v, logic is_u8, logic [9:0] zp);
    return (is_u8 ? {2'b00, v} : {{2{v[7]}}, v}) - zp;
  endfunction

  // ---------------------------------------------------------------------
  // Tiled: the edges.  Row r of a chunk starts r * kl bytes into its
  // operand's area; byte t of every row is read in feed cycle t, then
  // skewed by the delay lines.
  // ---------------------------------------------------------------------
  logic [Rows-1:0][9:0]            a_feed, a_edge;
  logic [Cols-1:0][9:0]            b_feed, b_edge;

  always_comb begin
    byte_addr_o = '0;
    a_feed      = '0;
    b_feed      = '0;
    if (feed) begin
      for (int r = 0; r < Rows; r++) begin
        byte_addr_o[r] = a_base_i[q.bank] + DestW'(r) * DestW'(chunk.kl) + DestW'(q.t);
        a_feed[r]      = operand(byte_i[r], job_i.a_u8, job_i.a_zp[9:0]);
      end
      for (int c = 0; c < Cols; c++) begin
        byte_addr_o[Rows + c] = b_base_i[q.bank] + DestW'(c) * DestW'(chunk.kl) + DestW'(q.t);
        b_feed[c]             = operand(byte_i[Rows + c], job_i.b_u8, job_i.b_zp[9:0]);
      end
    end
  end

  // The skew: row r of A and column c of B are read back r and c cycles
  // after they were fed, from a ring of Skew entries per row and column
  // written every cycle (zeros when nothing is fed), so the edges cost one
  // write and one read per row per cycle, not a shift.  Row and column 0
  // enter at once.  The ring is not cleared: an entry written before the
  // last clear (a job's start, soft reset) reads as zero instead (since_q),
  // because a job that failed mid-feed leaves operands in it, and the next
  // job, its descriptor already prefetched, may start within Skew cycles.
  // The tile-end flag of anti-diagonal i (PEs with r + c = i) is a shift
  // register, one bit per diagonal.
  localparam int unsigned Skew  = 1 << $clog2(Rows > Cols ? Rows : Cols);
  localparam int unsigned SkewW = $clog2(Skew);
  logic [SkewW-1:0]      wp_q;
  logic [9:0]            ring_a [Skew][Rows];
  logic [9:0]            ring_b [Skew][Cols];
  logic [Rows+Cols-2:0]  l_edge;
  logic [Rows+Cols-3:0]  diag_q;
  logic [SkewW:0]        since_q;  // cycles since the last clear, up to Skew

  always_ff @(posedge clk_i) begin
    for (int r = 1; r < Rows; r++) ring_a[wp_q][r] <= a_feed[r];
    for (int c = 1; c < Cols; c++) ring_b[wp_q][c] <= b_feed[c];
  end
  assign a_edge[0] = a_feed[0];
  assign b_edge[0] = b_feed[0];
  for (genvar r = 1; r < Rows; r++) begin : g_a_skew
    assign a_edge[r] = 32'(since_q) + 1 >= r ? ring_a[wp_q - SkewW'(r)][r] : '0;
  end
  for (genvar c = 1; c < Cols; c++) begin : g_b_skew
    assign b_edge[c] = 32'(since_q) + 1 >= c ? ring_b[wp_q - SkewW'(c)][c] : '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wp_q    <= '0;
      diag_q  <= '0;
      since_q <= '0;
    end else if (clear_i || acc_clear_i) begin
      wp_q    <= wp_q + 1'b1;
      diag_q  <= '0;
      since_q <= '0;
    end else begin
      wp_q    <= wp_q + 1'b1;
      diag_q  <= {diag_q[Rows+Cols-4:0], feed && tile_end};
      if (32'(since_q) < Skew) since_q <= since_q + 1'b1;
    end
  end
  assign l_edge = {diag_q, feed && tile_end};

  // ---------------------------------------------------------------------
  // GEMV datapath
  // ---------------------------------------------------------------------
  logic               issue;   // a GEMV lane group is issued this cycle
  logic [5:0]         g_lines;
  logic [GP-1:0][9:0] a_dir_q, a_dir_d, b_dir_q, b_dir_d;

  assign issue   = q.st == KRun && job_i.gemv && !q.gdone;
  assign g_lines = 6'((32'(chunk.kl) + 32'd63) >> 6);

  if (GemvLanes != 0) begin : g_gemv
    // The first GP accumulators, row-major: in GEMV mode they hold products.
    logic [31:0] prod [GP];
    for (genvar p = 0; p < GP; p++) begin : g_prod
      assign prod[p] = cap_acc_o[p / Cols][p % Cols];
    end

    // Stage 1: line gi of A (port 0) and of each lane's channel slot
    // (port 1 + g), turned into operands; registered only while issuing,
    // so the registers are quiet otherwise.
    logic [LineW-1:0] base;
    logic [31:0]      left;  // K bytes from this line on
    assign base = LineW'(32'(q.bank) * BankLines);
    assign left = 32'(chunk.kl) - {20'd0, q.gi, 6'd0};

    always_comb begin
      line_addr_o[0] = base + LineW'(q.gi);
      for (int g = 0; g < GL; g++) begin
        line_addr_o[1 + g] = base + ((LineW'(q.gc) + LineW'(g) + 1'b1) << (job_i.g_sh - 4'd6)) +
                             LineW'(q.gi);
      end
    end

    always_comb begin
      a_dir_d = a_dir_q;
      b_dir_d = b_dir_q;
      gd.opval = '0;
      gd.opch  = '0;
      if (issue) begin
        for (int g = 0; g < GL; g++) begin
          gd.opch[g]  = CW'(32'(q.gc) + 32'(g));
          gd.opval[g] = 32'(q.gc) + 32'(g) < 32'(chunk.nv);
          if (gd.opval[g]) begin
            for (int j = 0; j < 64; j++) begin
              a_dir_d[g * 64 + j] = 32'(j) < left
                                  ? operand(line_i[0][j * 8 +: 8], job_i.a_u8, job_i.a_zp[9:0])
                                  : '0;
              b_dir_d[g * 64 + j] = 32'(j) < left
                                  ? operand(line_i[1 + g][j * 8 +: 8], job_i.b_u8,
                                            job_i.b_zp[9:0])
                                  : '0;
            end
          end
        end
      end
    end

    // Operand registers: datapath, no reset (opval says when they count).
    always_ff @(posedge clk_i) begin
      a_dir_q <= a_dir_d;
      b_dir_q <= b_dir_d;
    end

    // Stages 2 to 4: the PEs multiply into their accumulator registers;
    // one adder tree per lane sums its 64 products (20 bits each, 26 in
    // all), registered before the accumulate.
    always_comb begin
      gd.pval   = gq.opval;
      gd.pch    = gq.opch;
      gd.lval   = gq.pval;
      gd.lch    = gq.pch;
      gd.gdrain = q.gdone ? {gq.gdrain[0], 1'b1} : 2'b00;
      gd.gacc   = gq.gacc;
      for (int g = 0; g < GL; g++) begin
        gd.lsum[g] = '0;
        if (gq.pval[g]) begin
          for (int j = 0; j < 64; j++) begin
            gd.lsum[g] = gd.lsum[g] + prod[g * 64 + j];
          end
        end
        if (gq.lval[g]) gd.gacc[gq.lch[g]] = gd.gacc[gq.lch[g]] + gq.lsum[g];
      end
    end
  end else begin : g_no_gemv
    assign line_addr_o = '0;
    assign a_dir_q     = '0;
    assign b_dir_q     = '0;
    assign a_dir_d     = '0;
    assign b_dir_d     = '0;
    assign gd          = '0;
    logic unused_gemv;
    assign unused_gemv = ^{line_i, g_lines, issue, a_dir_d, b_dir_d, gq};
  end

  // The clears apply here, not in gd: acc_clear_i comes from logic that
  // reads top-level inputs, and gd (the adder trees) would then be
  // evaluated by a simulator whenever an input changes.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)                   gq <= '0;
    else if (clear_i || clear_acc) gq <= '0;
    else                           gq <= gd;
  end

  // A capture does not clear the array: the next tile is already in it.
  qaccel_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i,
    .rst_ni,
    .clear_i (acc_clear_i || clear_i),
    .a_i     (a_edge),
    .b_i     (b_edge),
    .last_i  (l_edge),
    .gemv_i  (job_i.gemv && q.st == KRun),
    .a_dir_i ((PE * 10)'(a_dir_q)),
    .b_dir_i ((PE * 10)'(b_dir_q)),
    .acc_o   (cap_acc_o)
  );

  // ---------------------------------------------------------------------
  // Sequencing
  // ---------------------------------------------------------------------
  always_comb begin
    d         = q;
    release_o = 1'b0;
    release_bank_o = q.bank;
    if (job_i.gemv) begin
      unique case (q.st)
        KIdle: begin
          if (full_i[q.bank]) begin
            d.t     = '0;
            d.gi    = '0;
            d.gc    = '0;
            d.gdone = 1'b0;
            d.st    = KRun;
          end
        end
        KRun: begin
          d.t = q.t + 11'd1;
          if (issue) begin
            d.gi = q.gi + 6'd1;
            if (q.gi + 6'd1 >= g_lines) begin
              d.gi = '0;
              d.gc = q.gc + 6'(GemvLanes);
              if (32'(q.gc) + GemvLanes >= 32'(chunk.nv)) d.gdone = 1'b1;
            end
          end
          // Three cycles after the last issue the last operands have been
          // multiplied, summed and accumulated.
          if (q.gdone && gq.gdrain[1]) begin
            if (chunk.last) begin
              d.st = KCapture;
            end else begin
              release_o = 1'b1;
              d.bank    = bank_next(q.bank, job_i.last_bank);
              d.st      = KIdle;
            end
          end
        end
        KCapture: begin
          if (cap_ready_i) begin
            release_o = 1'b1;
            d.bank    = bank_next(q.bank, job_i.last_bank);
            d.st      = KIdle;
          end
        end
        default: d.st = KIdle;
      endcase
    end else begin
      // The finished tile: the flag's way to the last PE, then the copy.
      if (q.pend && q.pcnt != '0) d.pcnt = q.pcnt - 7'd1;
      if (capture) d.pend = 1'b0;
      if (feed) begin
        d.t = q.t + 11'd1;
        if (last_feed) begin
          release_o = 1'b1;
          if (tile_end) begin
            d.pend   = 1'b1;
            d.pchunk = chunk;
            d.pcnt   = 7'(Rows + Cols - 2);
          end
          d.bank = bank_next(q.bank, job_i.last_bank);
          d.t    = '0;
          d.st   = full_i[bank_next(q.bank, job_i.last_bank)] ? KRun : KIdle;
        end
      end else if (q.st == KIdle && full_i[q.bank]) begin
        d.t  = '0;
        d.st = KRun;
      end
    end
    if (!run_i) begin
      d.st   = KIdle;
      d.bank = '0;
      d.pend = 1'b0;
    end
    if (clear_i) d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) q <= '0;
    else         q <= d;
  end

  // The tile's bias and quant lines are read from the bank being streamed
  // when the tile is done (tiled: its last feed cycle; GEMV: the cycle it
  // goes to KCapture) and kept for the capture.
  assign tile_done_o    = job_i.gemv ? q.st == KRun && q.gdone && gq.gdrain[1] && chunk.last
                                     : feed && tile_end;
  assign cap_valid_o    = job_i.gemv ? q.st == KCapture : q.pend && q.pcnt == '0;
  assign cap_chunk_o    = job_i.gemv ? chunk : q.pchunk;
  assign cap_bank_o     = q.bank;
  // GEMV results are one row: the post engine takes them as row 0.
  assign cap_gacc_o     = gq.gacc;

  // Busy: a bank streams (GEMV) or is fed, or a tile's flag is on its way.
  assign busy_o    = job_i.gemv ? q.st == KRun : feed || (q.pend && q.pcnt != '0);
  assign idle_o    = q.st == KIdle && !q.pend;
  assign starved_o = q.st == KIdle && !full_i[q.bank];

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni && !clear_i && run_i) begin
      // A bank is streamed only once all of its beats are in.
      assert (q.st != KRun || full_i[q.bank])
        else $error("qaccel_compute: streaming bank %0d, which is not full", q.bank);
      // The array does not run a chunk longer than its counter reaches.
      assert (q.st != KRun || job_i.gemv || 32'(q.t) < 32'(chunk.kl))
        else $error("qaccel_compute: chunk cycle counter overflow");
    end
  end
`endif

endmodule
