// SPDX-License-Identifier: MIT
//
// Loader: walks a job's loop nest and issues the DMA reads of each chunk
// into a scratchpad bank.
//
//   for m0 in 0..M step rows           tiled: Rows x Cols x t_k chunks;
//     for n0 in 0..N step cols         GEMV: 1 x g_ch x t_k (qaccel_cmd)
//       for k0 in 0..K step kchunk     claim the next bank, then read (last
//                                      chunk of a tile) bias and quant
//                                      records, the A rows, the B rows
//
// The banks are claimed in turn (0, 1, 2, 0, ...: bank_next, over the
// job's banks in use, job_t.last_bank); a claim waits
// until the compute engine has released the bank (qaccel_spad's
// claim_ready_o), so the loader runs up to Banks - 1 chunks ahead of the
// array.  The tag of the last
// B request marks the bank's last range, whose last beat marks it full.
// Rows that are contiguous in memory (stride == chunk length) go as one
// request: long bursts.  A bank still holding this chunk's A block (same
// m0 and k0 of the same job) skips the A reads.
//
// Interfaces: claim (valid/ready with qaccel_spad), DMA request (valid/
// ready through qaccel_req_arb).  The loop starts with start_i (the job
// passed decode) and stops whenever run_i drops.  What must stay true:
// a request's payload is stable while it waits (it depends only on this
// block's registers and the job), every chunk claims exactly one bank.

module qaccel_loader
  import qaccel_pkg::*;
#(
  parameter int unsigned Rows  = 4,
  parameter int unsigned Cols  = 4,
  parameter int unsigned TagW  = 24,
  parameter int unsigned DestW = TagW - 2 - BankW
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  clear_i,    // soft reset

  input  logic                  run_i,      // the job is running
  input  logic                  start_i,    // a GEMM passed decode: run_i next
  input  job_t                  job_i,

  // Scratchpad layout (qaccel_spad).
  input  logic [MaxBanks-1:0][DestW-1:0] a_base_i,
  input  logic [MaxBanks-1:0][DestW-1:0] b_base_i,
  input  logic [MaxBanks-1:0][DestW-1:0] bias_base_i,
  input  logic [MaxBanks-1:0][DestW-1:0] quant_base_i,

  // Bank claim.
  output logic                  claim_valid_o,
  input  logic                  claim_ready_i,
  output logic [BankW-1:0]      claim_bank_o,
  output chunk_t                claim_chunk_o,

  // DMA reads.
  output logic                  req_valid_o,
  input  logic                  req_ready_i,
  output dma_req_t              req_o,
  output logic [TagW-1:0]       req_tag_o,

  output logic                  done_o      // every chunk of the job requested
);

  typedef enum logic [2:0] {
    LIdle,      // no job (zero: the reset state)
    LWait,      // claim the next bank
    LBias,
    LQuant,
    LLoadA,
    LLoadB,
    LDone       // every chunk of the job requested
  } load_state_e;

  // Every field resets to zero, by reset and by soft reset alike.
  typedef struct packed {
    load_state_e      st;
    logic [16:0]      m0, n0, k0;
    logic [5:0]       idx;        // row of the chunk being requested
    logic [BankW-1:0] bank;
    logic [MaxBanks-1:0] a_vld;      // bank b holds the A block at a_m0[b], a_k0[b]
    logic [MaxBanks-1:0][16:0] a_m0, a_k0;
    logic             a_keep;     // this chunk reuses its bank's A block
  } ld_regs_t;

  ld_regs_t q, d;

  // The tile shape.
  logic [5:0]  t_rows, t_cols;
  logic [11:0] t_k;
  assign t_rows = job_i.gemv ? 6'd1 : 6'(Rows);
  assign t_cols = job_i.gemv ? job_i.g_ch : 6'(Cols);
  assign t_k    = job_i.t_k;

  logic [5:0]  mv, nv;
  logic [11:0] kl;
  logic        last_k, last_m, last_n, a_whole, b_whole;
  assign mv     = (job_i.m - 32'(q.m0)) < 32'(t_rows) ? 6'(job_i.m - 32'(q.m0)) : t_rows;
  assign nv     = (job_i.n - 32'(q.n0)) < 32'(t_cols) ? 6'(job_i.n - 32'(q.n0)) : t_cols;
  assign kl     = (job_i.k - 32'(q.k0)) < 32'(t_k) ? 12'(job_i.k - 32'(q.k0)) : t_k;
  assign last_k = 32'(q.k0) + 32'(t_k) >= job_i.k;
  assign last_m = 32'(q.m0) + 32'(t_rows) >= job_i.m;
  assign last_n = 32'(q.n0) + 32'(t_cols) >= job_i.n;
  // GEMV slots are a slot apart: only full-slot rows are one range there.
  assign a_whole = job_i.lda == 32'(kl);
  assign b_whole = job_i.ldb == 32'(kl) && (!job_i.gemv || 32'(kl) == 32'd1 << job_i.g_sh);

  // A reuse, decided when the bank is claimed (the claim retags the bank).
  logic        a_keep;
  load_state_e first_op;
  assign a_keep   = q.st == LWait ? q.a_vld[q.bank] && q.a_m0[q.bank] == q.m0 &&
                                    q.a_k0[q.bank] == q.k0
                                  : q.a_keep;
  assign first_op = a_keep ? LLoadB : LLoadA;

  logic grant;
  assign claim_valid_o = q.st == LWait;
  assign claim_bank_o  = q.bank;
  assign claim_chunk_o = '{m0: q.m0, n0: q.n0, mv: mv, nv: nv, kl: kl, last: last_k};
  // Requests only while the job runs: a request taken in the cycle a failed
  // job leaves CRun would land in the scratchpad during the next job.
  assign req_valid_o   = run_i && q.st inside {LBias, LQuant, LLoadA, LLoadB};
  assign grant         = req_valid_o && req_ready_i;
  assign done_o        = q.st == LDone;

  always_comb begin
    d = q;
    unique case (q.st)
      LWait: begin
        if (claim_ready_i) begin
          d.idx         = '0;
          d.a_vld[q.bank] = 1'b1;
          d.a_keep      = a_keep;
          d.a_m0[q.bank]  = q.m0;
          d.a_k0[q.bank]  = q.k0;
          d.st          = (last_k && job_i.bias_en) ? LBias :
                          (last_k && job_i.per_channel) ? LQuant : first_op;
        end
      end
      LBias: begin
        if (grant) d.st = job_i.per_channel ? LQuant : first_op;
      end
      LQuant: begin
        if (grant) d.st = first_op;
      end
      LLoadA: begin
        if (grant) begin
          d.idx = q.idx + 6'd1;
          if (a_whole || q.idx + 6'd1 >= mv) begin
            d.idx = '0;
            d.st  = LLoadB;
          end
        end
      end
      LLoadB: begin
        if (grant) begin
          d.idx = q.idx + 6'd1;
          if (b_whole || q.idx + 6'd1 >= nv) begin
            d.idx  = '0;
            d.bank = bank_next(q.bank, job_i.last_bank);
            d.st   = LWait;
            if (!last_k) begin
              d.k0 = q.k0 + 17'(t_k);
            end else begin
              d.k0 = '0;
              if (!last_n) begin
                d.n0 = q.n0 + 17'(t_cols);
              end else begin
                d.n0 = '0;
                if (!last_m) d.m0 = q.m0 + 17'(t_rows);
                else d.st = LDone;
              end
            end
          end
        end
      end
      default: ;
    endcase
    if (!run_i) begin
      d.st    = start_i ? LWait : LIdle;
      d.m0    = '0;
      d.n0    = '0;
      d.k0    = '0;
      d.idx   = '0;
      d.bank  = '0;
      d.a_vld = '0;
    end
    if (clear_i) d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) q <= '0;
    else         q <= d;
  end

  // ---------------------------------------------------------------------
  // Requests
  // ---------------------------------------------------------------------
  function automatic logic [TagW-1:0] spad_tag(logic last, logic [BankW-1:0] bank,
                                                logic [DestW-1:0] dest);
    // {descriptor, last range of a bank, bank, scratchpad byte}
    return TagW'({1'b0, last, bank, dest});
  endfunction

  // Where row idx of the chunk goes, from the start of its area; GEMV
  // channel slots start after A's slot.
  logic [DestW-1:0] dest, b_dest;
  assign dest   = DestW'(q.idx) * DestW'(kl);
  assign b_dest = job_i.gemv ? a_base_i[q.bank] + ((DestW'(q.idx) + 1'b1) << job_i.g_sh)
                             : b_base_i[q.bank] + dest;

  always_comb begin
    req_o     = '0;
    req_tag_o = '0;
    unique case (q.st)
      LBias: begin
        req_o.stream = 3'(DetailBias - 1);
        req_o.ptable = job_i.bias.ptable;
        req_o.size   = job_i.bias.size;
        req_o.x      = 64'(job_i.bias.offset) + {45'd0, q.n0, 2'd0};
        req_o.len    = {8'd0, nv, 2'd0};
        req_tag_o    = spad_tag(1'b0, q.bank, bias_base_i[q.bank]);
      end
      LQuant: begin
        req_o.stream = 3'(DetailQuant - 1);
        req_o.ptable = job_i.quant.ptable;
        req_o.size   = job_i.quant.size;
        req_o.x      = 64'(job_i.quant.offset) + {44'd0, q.n0, 3'd0};
        req_o.len    = {7'd0, nv, 3'd0};
        req_tag_o    = spad_tag(1'b0, q.bank, quant_base_i[q.bank]);
      end
      LLoadA: begin
        req_o.stream = 3'(DetailA - 1);
        req_o.ptable = job_i.a.ptable;
        req_o.size   = job_i.a.size;
        req_o.row    = q.m0 + 17'(q.idx);
        req_o.stride = job_i.lda;
        req_o.x      = 64'(job_i.a.offset) + 64'(q.k0);
        req_o.len    = a_whole ? 16'(mv) * 16'(kl) : 16'(kl);
        req_tag_o    = spad_tag(1'b0, q.bank, a_base_i[q.bank] + dest);
      end
      LLoadB: begin
        req_o.stream = 3'(DetailB - 1);
        req_o.ptable = job_i.b.ptable;
        req_o.size   = job_i.b.size;
        req_o.row    = q.n0 + 17'(q.idx);
        req_o.stride = job_i.ldb;
        // GEMV streams B once, row after row: let the DMA fetch the next
        // line of page table entries ahead.
        req_o.seq    = job_i.gemv;
        req_o.x      = 64'(job_i.b.offset) + 64'(q.k0);
        req_o.len    = b_whole ? 16'(nv) * 16'(kl) : 16'(kl);
        req_tag_o    = spad_tag(b_whole || q.idx + 6'd1 >= nv, q.bank, b_dest);
      end
      default: ;
    endcase
  end

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni && !clear_i && run_i) begin
      // A chunk is never empty, and fits its bank's areas.
      assert (q.st != LWait || (mv != 0 && nv != 0 && kl != 0 && 32'(mv) <= Rows &&
                                32'(nv) <= Cols))
        else $error("qaccel_loader: chunk %0dx%0dx%0d", mv, nv, kl);
    end
  end
`endif

endmodule
