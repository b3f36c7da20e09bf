// SPDX-License-Identifier: MIT
//
// Compute engine: streams each full scratchpad bank through the array, then
// (last chunk of a tile) hands the accumulators to the post engine.
//
// Tiled mode.  Row r of A enters the array r cycles late and column c of B
// c cycles late, so PE(r,c) sees k = t - r - c from both sides; outside
// 0..kl-1 both edges are 0.  A chunk takes kl + Rows + Cols - 3 cycles.
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
  input  logic [1:0]                          full_i,
  input  chunk_t [1:0]                        chunk_i,
  input  logic [1:0][DestW-1:0]               a_base_i,
  input  logic [1:0][DestW-1:0]               b_base_i,
  output logic                                release_o,
  output logic                                release_bank_o,
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
  output logic                                cap_bank_o,

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
    comp_state_e st;
    logic        bank;
    logic [10:0] t;      // cycle of the chunk (tiled)
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

  assign chunk     = chunk_i[q.bank];
  assign capture   = cap_valid_o && cap_ready_i;
  assign clear_acc = acc_clear_i || capture;

  // Zero points are validated to their element's range, so value - zp fits
  // in 10 bits and the low 10 bits of zp are enough.
  function automatic logic [9:0] operand(logic [7:0] v, logic is_u8, logic [9:0] zp);
    return (is_u8 ? {2'b00, v} : {{2{v[7]}}, v}) - zp;
  endfunction

  // ---------------------------------------------------------------------
  // Tiled: the skewed edges.  Row r of a chunk starts r * kl bytes into
  // its operand's area.
  // ---------------------------------------------------------------------
  logic [Rows-1:0][9:0]            a_edge;
  logic [Cols-1:0][9:0]            b_edge;

  always_comb begin
    byte_addr_o = '0;
    a_edge      = '0;
    b_edge      = '0;
    if (q.st == KRun && !job_i.gemv) begin
      for (int r = 0; r < Rows; r++) begin
        byte_addr_o[r] = a_base_i[q.bank] + DestW'(r) * DestW'(chunk.kl) + DestW'(q.t) -
                         DestW'(r);
        if (32'(q.t) >= 32'(r) && 32'(q.t) - 32'(r) < 32'(chunk.kl)) begin
          a_edge[r] = operand(byte_i[r], job_i.a_u8, job_i.a_zp[9:0]);
        end
      end
      for (int c = 0; c < Cols; c++) begin
        byte_addr_o[Rows + c] = b_base_i[q.bank] + DestW'(c) * DestW'(chunk.kl) + DestW'(q.t) -
                                DestW'(c);
        if (32'(q.t) >= 32'(c) && 32'(q.t) - 32'(c) < 32'(chunk.kl)) begin
          b_edge[c] = operand(byte_i[Rows + c], job_i.b_u8, job_i.b_zp[9:0]);
        end
      end
    end
  end

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
    assign base = q.bank ? LineW'(BankLines) : '0;
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

  qaccel_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i,
    .rst_ni,
    .clear_i (clear_acc || clear_i),
    .a_i     (a_edge),
    .b_i     (b_edge),
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
        // GEMV: three cycles after the last issue the last operands have
        // been multiplied, summed and accumulated.
        if (job_i.gemv ? q.gdone && gq.gdrain[1]
                       : 32'(q.t) + 3 >= 32'(chunk.kl) + Rows + Cols) begin
          if (chunk.last) begin
            d.st = KCapture;
          end else begin
            release_o = 1'b1;
            d.bank    = !q.bank;
            d.st      = KIdle;
          end
        end
      end
      KCapture: begin
        if (cap_ready_i) begin
          release_o = 1'b1;
          d.bank    = !q.bank;
          d.st      = KIdle;
        end
      end
      default: d.st = KIdle;
    endcase
    if (!run_i) begin
      d.st   = KIdle;
      d.bank = 1'b0;
    end
    if (clear_i) d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) q <= '0;
    else         q <= d;
  end

  assign release_bank_o = q.bank;
  assign cap_valid_o    = q.st == KCapture;
  assign cap_chunk_o    = chunk;
  assign cap_bank_o     = q.bank;
  // GEMV results are one row: the post engine takes them as row 0.
  assign cap_gacc_o     = gq.gacc;

  assign busy_o    = q.st == KRun;
  assign idle_o    = q.st == KIdle;
  assign starved_o = q.st == KIdle && !full_i[q.bank];

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni && !clear_i && run_i) begin
      // A bank is streamed only once all of its beats are in.
      assert (q.st != KRun || full_i[q.bank])
        else $error("qaccel_compute: streaming bank %0d, which is not full", q.bank);
      // The array does not run a chunk longer than its counter reaches.
      assert (q.st != KRun || job_i.gemv || q.t != '1)
        else $error("qaccel_compute: chunk cycle counter overflow");
    end
  end
`endif

endmodule
