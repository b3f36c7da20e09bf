// SPDX-License-Identifier: MIT
//
// Command processor: descriptor prefetch, decode and validation, the job
// sequencer and the completion records.
//
// Prefetch: one read fetches up to DescBuf descriptors (all published ones,
// up to the ring's end) into a buffer; they are taken one by one.  SQ_HEAD
// advances when a descriptor is taken, so the buffer is only a speculative
// copy of published slots and is dropped when the device is disabled, fatal
// or reset.  The ring is 128-byte aligned: every beat is one half of one
// descriptor.
//
// Decode: a taken descriptor is validated (CDecode) into the job the
// engines read (job_o); a GEMM that passes starts the loader, compute and
// post engines (start_o, then run_o for as long as the job runs).  Small M
// runs in GEMV mode: M x Cols < 64 on an array with GEMV lanes.
//
// Completion records are posted: the next job starts as soon as a record's
// write is issued, and the job is counted (CQ_TAIL, INT_STATUS.CQ) when its
// write is acknowledged, in order; up to CqPend are in flight.  Any operand
// DMA error fails the job: the engines stop, the sequencer waits for the
// beats in flight (CAbort) and completes the job with the error; a ring
// access error is fatal (CHalt until reset).
//
// What must stay true (asserted): exactly one record per job taken; a
// record is written only into a free CQ slot; no more than CqPend in flight.

module qaccel_cmd
  import qaccel_pkg::*;
#(
  parameter int unsigned Cols      = 4,
  parameter int unsigned GemvLanes = 0,
  parameter int unsigned GemvBank  = 1024,  // bytes of a bank GEMV slots share
  parameter int unsigned WrBytes   = 64,
  parameter int unsigned TagW      = 24,
  parameter int unsigned Banks     = MaxBanks  // scratchpad banks (qaccel_top)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 clear_i,          // soft reset

  // Queue state (qaccel_regs)
  input  logic                 enable_i,
  input  logic                 fatal_i,
  input  logic [63:0]          sq_base_i,
  input  logic [63:0]          cq_base_i,
  input  logic [11:0]          cq_mask_i,
  input  logic [11:0]          sq_mask_i,
  input  logic [11:0]          sq_head_i,
  input  logic [11:0]          sq_tail_i,
  input  logic [11:0]          cq_head_i,
  input  logic [11:0]          cq_tail_i,
  input  logic                 phase_i,
  output logic                 sq_advance_o,
  output logic                 job_done_o,
  output logic                 fatal_set_o,
  output logic [15:0]          fatal_code_o,
  output logic [63:0]          fatal_addr_o,
  output logic                 busy_o,
  output logic                 idle_o,
  output logic [47:0]          macs_o,
  output logic                 dma_stall_o,
  output logic                 compute_stall_o,

  // The engines
  output job_t                 job_o,
  output logic                 start_o,          // a GEMM passed decode
  output logic                 run_o,            // the engines may work
  output logic                 acc_clear_o,      // a job starts: clear the array
  input  logic                 ld_done_i,        // loader: every chunk requested
  input  logic                 ld_blocked_i,     // loader: its next bank is busy
  input  logic                 comp_idle_i,
  input  logic                 comp_busy_i,      // streaming a bank
  input  logic                 comp_starved_i,   // idle, its bank not full
  input  logic                 comp_cap_wait_i,  // capture waits for the post engine
  input  logic                 post_busy_i,
  input  logic                 post_bad_i,
  input  logic [MaxBanks-1:0]     bank_busy_i,

  // DMA: own requests, and what the DMA reports
  output logic                 tlb_flush_o,
  output logic                 req_valid_o,
  input  logic                 req_ready_i,
  output dma_req_t             req_o,
  output logic [TagW-1:0]      req_tag_o,
  output logic [WrBytes*8-1:0] req_wdata_o,
  input  logic                 desc_we_i,        // a descriptor beat
  input  logic [$clog2(DescBuf):0] desc_beat_i,  // half-descriptor of the read
  input  logic [511:0]         rd_data_i,
  input  logic                 err_valid_i,
  input  logic                 err_bounds_i,
  input  logic                 err_phys_i,
  input  logic                 err_cqe_i,
  input  logic [2:0]           err_stream_i,
  input  logic                 cqe_ack_i,
  input  logic                 dma_idle_i,
  input  logic                 dma_rd_idle_i,
  input  logic                 rd_beat_i,
  input  logic [6:0]           wr_bytes_i
);

  localparam int unsigned WrBits = WrBytes * 8;

  typedef enum logic [3:0] {
    CIdle,      // wait for a descriptor (zero: the reset state)
    CFetch,     // descriptor beats in flight
    CDecode,    // validate
    CRun,       // loader, compute and post engines at work
    CDrain,     // last writes acknowledged
    CAbort,     // failed job: let the beats in flight land
    CCqeWait,   // completion ring full
    CCqe,       // issue the record's write (posted)
    CHalt       // fatal: until reset
  } cmd_state_e;

  // Every field resets to zero, by reset and by soft reset alike.
  typedef struct packed {
    cmd_state_e              st;
    logic [4:0]              dcnt;     // buffered, not taken
    logic [3:0]              didx;     // next to take
    logic [4:0]              dfetch;   // in the read in flight
    err_e                    status;
    logic [31:0]             detail;
    logic                    job_err;
    logic [4:0]              cq_pend;  // records in flight
    logic [3:0]              cq_wr;    // macs of the records in flight
    logic [3:0]              cq_rd;
  } cmd_regs_t;

  cmd_regs_t q, d;

  // The job's counters (its record's fields).  With the macs of each record
  // in flight (cq_macs_q) they are registers apart from q: wide, they would
  // otherwise be copied with the sequencer's state on every evaluation (it
  // reads top-level inputs, so a simulator evaluates it on every input
  // change too).  Zero after reset and soft reset, as q.
  typedef struct packed {
    logic [63:0] cycles, busy, rd, wr;
    logic [31:0] dstall, cstall;
  } job_cnt_t;

  job_cnt_t    cnt_q;
  logic [47:0] cq_macs_q [CqPend];

  // ---------------------------------------------------------------------
  // Descriptor buffer (datapath, no reset: dcnt says what is valid)
  // ---------------------------------------------------------------------
  logic [DescBuf-1:0][DescBytes*8-1:0] dbuf_q;
  always_ff @(posedge clk_i) begin
    if (desc_we_i) dbuf_q[desc_beat_i[$clog2(DescBuf):1]][desc_beat_i[0] * 512 +: 512] <= rd_data_i;
  end

  // ---------------------------------------------------------------------
  // Decode
  // ---------------------------------------------------------------------
  // The job's tile geometry (gemv, g_sh, g_ch, t_k, last_bank) from its M
  // and K (see the comments inside).
  function automatic job_t with_geometry(job_t job);
    logic [31:0] m, k, slots, nk, gn, gk;
    job_t        g;
    g = job;
    m = job.m;
    k = job.k;
    // GEMV: K in gn chunks of gk bytes (at most GemvK, all of one length
    // like the tiled mode's, rounded up to whole lines so that every channel
    // row of a chunk starts a beat: 1,366 would read 1,408), in slots of 2^g_sh bytes (gk rounded up to a
    // power of two, 64..GemvK), g_ch channels a bank.  Two chunks become
    // three when three banks are in use, so that each bank keeps one k0 of
    // A (see the banks below; GEMV rows are long bursts, so more chunks cost
    // nothing): 1 x 4096 x 4096 at 16x16 reads A once per row of channels
    // in 1408 + 1408 + 1280, where 2 x 2048 in three banks would reload it with every
    // bank (one slot in eight more bytes).
    g.gemv      = GemvLanes != 0 && m * Cols < 32'd64;
    gn          = (k + GemvK - 1) / GemvK;
    if (gn == 32'd2 && Banks > 2) gn = 32'(Banks);
    gk          = gn == '0 ? 32'(GemvK) : (((k + gn - 1) / gn) + 32'd63) & ~32'd63;
    g.g_sh      = 4'd6;
    for (int b = 6; b < $clog2(GemvK); b++) begin
      if (gk > 32'd1 << b) g.g_sh = 4'(b + 1);
    end
    slots       = 32'(GemvBank) >> g.g_sh;
    g.g_ch      = slots - 1 < Cols ? 6'(slots - 1) : 6'(Cols);
    // Tiled: K in as few chunks as fit a bank, all of one length (the last
    // shorter by less than their count), so that no short last chunk's
    // compute has to hide the next long chunk's load.  (K = 784: 392 + 392,
    // not 512 + 272.)  Only a K of 0 fails decode; it gets the full length.
    nk          = (k + KChunk - 1) / KChunk;
    g.t_k       = g.gemv ? 12'(gk) : nk == '0 ? 12'(KChunk) : 12'((k + nk - 1) / nk);
    // Banks in use.  A bank skips the A reads when it still holds the
    // chunk's A block, which needs each chunk k of a row of tiles to land in
    // the same bank: K in one chunk, or in as many as there are banks in
    // use.  So K of two chunks uses two banks: each keeps one k0 of A, and
    // a row of tiles loads its A once (256x256x784 at 16x16: 92.8 % with
    // two banks; three, reloading A with every chunk, were 68.5 %, since
    // strided rows are a burst each and the memory's request slots, not
    // its bandwidth, run out).  Every other job uses all Banks.
    g.last_bank = !g.gemv && nk == 32'd2 ? BankW'(1) : BankW'(Banks - 1);
    return g;
  endfunction

  // The job's descriptor, taken from the buffer in CIdle (desc_take), as
  // the fields the sequencer reads (desc_q) and the decoded job (job) for
  // the engines; zero after reset and soft reset.  Registers of their own,
  // apart from the sequencer's (q): a simulator copies them only when they
  // change.
  typedef struct packed {
    logic [31:0] tag;
    logic [7:0]  opcode, reserved0, reserved1;
    logic [15:0] flags;
  } desc_hdr_t;

  desc_hdr_t desc_q;
  logic      desc_take;
  // The job is decoded as its descriptor is taken: the engines read it for
  // the whole job, and as logic on a descriptor register a simulator would
  // assemble it (and the geometry's divisions) on every clock edge, not
  // knowing that the register did not change.  Zero after reset and soft
  // reset: the job of an all-zero descriptor.  (The descriptor is an
  // argument here, copied per call: only when one is taken.)
  // A buffer reference of the descriptor at byte offset at.
  function automatic buf_ref_t buf_ref(logic [DescBytes*8-1:0] dsc, int unsigned at);
    return '{ptable: dsc[(at + BufTable)*8 +: 64],
             offset: dsc[(at + BufOffset)*8 +: 32],
             size:   dsc[(at + BufSize)*8 +: 32]};
  endfunction

  function automatic job_t job_of(logic [DescBytes*8-1:0] dsc);
    job_t        job;
    logic [15:0] fl;
    job             = '0;  // the geometry's fields: with_geometry()
    fl              = dsc[DescFlags*8 +: 16];
    job.m           = dsc[DescM*8 +: 32];
    job.n           = dsc[DescN*8 +: 32];
    job.k           = dsc[DescK*8 +: 32];
    job.lda         = dsc[DescLda*8 +: 32];
    job.ldb         = dsc[DescLdb*8 +: 32];
    job.ldc         = dsc[DescLdc*8 +: 32];
    job.out_mult    = dsc[DescOutMultiplier*8 +: 32];
    job.out_shift   = dsc[DescOutShift*8 +: 8];
    job.a_zp        = dsc[DescAZeroPoint*8 +: 16];
    job.b_zp        = dsc[DescBZeroPoint*8 +: 16];
    job.c_zp        = dsc[DescCZeroPoint*8 +: 16];
    job.clamp_min   = dsc[DescClampMin*8 +: 16];
    job.clamp_max   = dsc[DescClampMax*8 +: 16];
    job.a_u8        = fl[FlagAUint8];
    job.b_u8        = fl[FlagBUint8];
    job.bias_en     = fl[FlagBias];
    job.out_type    = out_type_e'(fl[FlagOutShift +: 2]);
    job.rq          = rq_mode_e'(fl[FlagRequant +: 2]);
    job.per_channel = fl[FlagPerChannel] && job.out_type != OutInt32;
    job.a           = buf_ref(dsc, DescA);
    job.b           = buf_ref(dsc, DescB);
    job.c           = buf_ref(dsc, DescC);
    job.bias        = buf_ref(dsc, DescBias);
    job.quant       = buf_ref(dsc, DescQuant);
    return with_geometry(job);
  endfunction

  job_t job;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      desc_q <= '0;
      job    <= job_of('0);
    end else if (clear_i) begin
      desc_q <= '0;
      job    <= job_of('0);
    end else if (desc_take) begin
      desc_q <= '{tag:       dbuf_q[q.didx][DescTag*8 +: 32],
                  opcode:    dbuf_q[q.didx][DescOpcode*8 +: 8],
                  reserved0: dbuf_q[q.didx][DescReserved0*8 +: 8],
                  reserved1: dbuf_q[q.didx][DescReserved1*8 +: 8],
                  flags:     dbuf_q[q.didx][DescFlags*8 +: 16]};
      job    <= job_of(dbuf_q[q.didx]);
    end
  end

  logic [7:0]  opcode;
  logic [15:0] flags;

  assign opcode = desc_q.opcode;
  assign flags  = desc_q.flags;
  assign job_o  = job;

  function automatic logic in_range(logic signed [15:0] v, logic is_u8);
    return is_u8 ? (v >= 16'sd0 && v <= 16'sd255) : (v >= -16'sd128 && v <= 16'sd127);
  endfunction

  function automatic logic dim_ok(logic [31:0] v);
    return v != 32'd0 && v <= MaxDim;
  endfunction

  // Read in CDecode only: behind that condition a simulator skips the
  // checks in every other cycle.
  err_e decode_status;
  always_comb begin
    logic out_u8;
    out_u8 = job.out_type == OutUint8;
    decode_status = ErrOk;
    if (q.st != CDecode) begin
      decode_status = ErrOk;
    end else if (opcode > OpGemm || desc_q.reserved0 != '0 || desc_q.reserved1 != '0) begin
      decode_status = ErrBadOpcode;
    end else if (opcode == OpNop) begin
      decode_status = ErrOk;
    end else if (!dim_ok(job.m) || !dim_ok(job.n) || !dim_ok(job.k)) begin
      decode_status = ErrBadDim;
    end else if ((flags & ~FlagsAll) != '0 || flags[FlagOutShift +: 2] == 2'd3 ||
                 flags[FlagRequant +: 2] == 2'd3) begin
      decode_status = ErrBadFlags;
    end else if (!in_range(job.a_zp, job.a_u8) || !in_range(job.b_zp, job.b_u8)) begin
      decode_status = ErrBadParam;
    end else if (job.out_type != OutInt32 &&
                 (!in_range(job.c_zp, out_u8) || !in_range(job.clamp_min, out_u8) ||
                  !in_range(job.clamp_max, out_u8) || job.clamp_min > job.clamp_max ||
                  (!job.per_channel &&
                   !rq_param_ok(job.rq, job.out_mult[31:23], 32'(job.out_shift))))) begin
      decode_status = ErrBadParam;
    end
  end

  logic gemm_ok;  // the decoded job is a valid GEMM
  assign gemm_ok = decode_status == ErrOk && opcode == OpGemm;
  assign start_o = q.st == CDecode && gemm_ok;
  assign run_o   = q.st == CRun;

  // ---------------------------------------------------------------------
  // Completion record
  // ---------------------------------------------------------------------
  // cq_pend records are in flight; the next one goes cq_pend slots past
  // CQ_TAIL, with the phase of that slot.
  logic [47:0]  job_macs;
  logic [511:0] cqe;
  logic         cq_full, cqe_post;
  logic [12:0]  cq_wpos;
  logic [11:0]  cq_wtail;
  logic         cq_phase;
  assign cq_wpos  = 13'(cq_tail_i) + 13'(q.cq_pend);
  assign cq_wtail = cq_wpos[11:0] & cq_mask_i;
  assign cq_phase = phase_i ^ (cq_wpos > 13'(cq_mask_i));
  assign cq_full  = ((cq_wtail + 12'd1) & cq_mask_i) == cq_head_i ||
                    32'(q.cq_pend) >= CqPend;
  assign cqe_post = q.st == CCqe && req_ready_i;
  // The record and its MACs are read in CCqe only (the write's data and
  // cq_macs_q on cqe_post): behind that condition a simulator neither
  // multiplies nor assembles 512 bits in every other cycle.
  always_comb begin
    job_macs = '0;
    cqe      = '0;
    if (q.st == CCqe) begin
      job_macs = (q.status == ErrOk && opcode == OpGemm)
               ? 48'(job.m[15:0]) * 48'(job.n[15:0]) * 48'(job.k[15:0]) : 48'd0;
      cqe[CqeTag*8 +: 32]                = desc_q.tag;
      cqe[CqeStatus*8 +: 16]             = q.status;
      cqe[CqeInfo*8 + CqePhase]          = cq_phase;
      cqe[CqeSqHead*8 +: 32]             = {20'd0, sq_head_i};  // advanced at fetch
      cqe[CqeErrDetail*8 +: 32]          = q.detail;
      cqe[CqeCycles*8 +: 64]             = cnt_q.cycles;
      cqe[CqeBusyCycles*8 +: 64]         = cnt_q.busy;
      cqe[CqeMacs*8 +: 64]               = {16'd0, job_macs};
      cqe[CqeDmaRdBytes*8 +: 64]         = cnt_q.rd;
      cqe[CqeDmaWrBytes*8 +: 64]         = cnt_q.wr;
      cqe[CqeDmaStallCycles*8 +: 32]     = cnt_q.dstall;
      cqe[CqeComputeStallCycles*8 +: 32] = cnt_q.cstall;
    end
  end

  // ---------------------------------------------------------------------
  // Own DMA requests: descriptor reads (CIdle), record writes (CCqe)
  // ---------------------------------------------------------------------
  logic [63:0] desc_addr, cqe_fail_addr;
  logic [12:0] sq_avail, sq_to_end, dfetch_n;
  logic        start;
  assign desc_addr     = sq_base_i + {45'd0, sq_head_i, 7'd0};
  assign cqe_fail_addr = cq_base_i + {46'd0, cq_tail_i, 6'd0};  // the oldest in flight
  assign sq_avail      = {1'b0, (sq_tail_i - sq_head_i) & sq_mask_i};
  assign sq_to_end     = 13'(sq_mask_i) + 13'd1 - 13'(sq_head_i);
  always_comb begin
    dfetch_n = sq_avail < sq_to_end ? sq_avail : sq_to_end;
    if (dfetch_n > 13'(DescBuf)) dfetch_n = 13'(DescBuf);
  end
  assign start = enable_i && !fatal_i && sq_head_i != sq_tail_i;

  always_comb begin
    req_valid_o = 1'b0;
    req_o       = '0;
    req_tag_o   = '0;
    req_wdata_o = WrBits'(cqe);
    req_o.phys  = 1'b1;
    if (q.st == CIdle) begin
      req_valid_o = start && q.dcnt == '0;
      req_o.x     = desc_addr;
      req_o.len   = 16'(dfetch_n) * 16'(DescBytes);
      req_tag_o   = TagW'(1) << (TagW - 1);  // the descriptor bit
    end else if (q.st == CCqe) begin
      req_valid_o = 1'b1;
      req_o.write = 1'b1;
      req_o.cqe   = 1'b1;
      req_o.x     = cq_base_i + {46'd0, cq_wtail, 6'd0};
      req_o.len   = 16'(CqeBytes);
    end
  end

  // ---------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------
  logic in_job;       // states in which an operand error aborts the job
  logic dma_err_job;  // an operand error this cycle that fails the job
  logic engines_idle;
  assign in_job       = q.st inside {CRun, CDrain};
  assign dma_err_job  = err_valid_i && !err_phys_i;
  assign engines_idle = ld_done_i && comp_idle_i && bank_busy_i == '0 && !post_busy_i;

  always_comb begin
    d            = q;
    acc_clear_o  = 1'b0;
    tlb_flush_o  = 1'b0;
    job_done_o   = cqe_ack_i;
    sq_advance_o = 1'b0;
    desc_take    = 1'b0;
    fatal_set_o  = 1'b0;
    fatal_code_o = ErrRingFault;
    fatal_addr_o = '0;

    if (in_job && dma_err_job && !q.job_err) begin
      d.job_err = 1'b1;
      d.status  = err_bounds_i ? ErrDmaBounds : ErrDmaFault;
      d.detail  = 32'(err_stream_i) + 32'd1;
    end

    unique case (q.st)
      CIdle: begin
        if (start && q.dcnt != '0) begin
          desc_take    = 1'b1;
          sq_advance_o = 1'b1;
          d.dcnt       = q.dcnt - 5'd1;
          d.didx       = q.didx + 4'd1;
          d.st         = CDecode;
        end else if (start && req_ready_i) begin
          d.dfetch = 5'(dfetch_n);
          d.st     = CFetch;
        end
      end
      CFetch: begin
        if (err_valid_i && !err_cqe_i) begin
          fatal_set_o  = 1'b1;
          fatal_addr_o = desc_addr;
          d.st         = CHalt;
        end else if (dma_rd_idle_i) begin
          d.dcnt = q.dfetch;
          d.didx = '0;
          d.st   = CIdle;
        end
      end
      CDecode: begin
        d.status    = decode_status;
        d.detail    = '0;
        d.job_err   = 1'b0;
        tlb_flush_o = 1'b1;
        acc_clear_o = 1'b1;
        d.st        = gemm_ok ? CRun : CCqeWait;
      end
      CRun: begin
        if (post_bad_i) begin
          d.status = ErrBadParam;
          d.st     = CAbort;
        end else if (engines_idle) begin
          d.st = CDrain;
        end
      end
      CDrain: begin
        if (dma_idle_i && !err_valid_i) d.st = CCqeWait;
      end
      CAbort: begin
        if (dma_idle_i && !err_valid_i) d.st = CCqeWait;
      end
      CCqeWait: begin
        if (!cq_full) d.st = CCqe;
      end
      CCqe: begin
        if (req_ready_i) d.st = CIdle;
      end
      CHalt: ;
      default: d.st = CIdle;
    endcase

    // An operand error ends the job wherever the sequencer is.
    if (in_job && (q.job_err || dma_err_job)) d.st = CAbort;

    // A record's write failed: fatal wherever the sequencer is.
    if (err_valid_i && err_cqe_i && q.st != CHalt) begin
      fatal_set_o  = 1'b1;
      fatal_addr_o = cqe_fail_addr;
      job_done_o   = 1'b0;
      d.st         = CHalt;
    end

    // Disabled or fatal: the prefetched descriptors are dropped.
    if (!enable_i || fatal_i) d.dcnt = '0;

    // Records in flight (their macs: cq_macs_q).
    if (cqe_post) d.cq_wr = q.cq_wr + 4'd1;
    if (cqe_ack_i) d.cq_rd = q.cq_rd + 4'd1;
    d.cq_pend = q.cq_pend + 5'(cqe_post) - 5'(cqe_ack_i);

    if (clear_i) d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) q <= '0;
    else         q <= d;
  end

  // A job's counters start with its descriptor's fetch (the batch's, for
  // the first of a prefetched batch) and are cleared once its record is
  // issued.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q <= '0;
    end else if (clear_i || cqe_post) begin
      cnt_q <= '0;
    end else if (q.st != CIdle) begin
      cnt_q <= '{cycles: cnt_q.cycles + 64'd1,
                 busy:   cnt_q.busy + {63'd0, comp_busy_i},
                 rd:     cnt_q.rd + (rd_beat_i ? 64'd64 : 64'd0),
                 wr:     cnt_q.wr + 64'(wr_bytes_i),
                 dstall: cnt_q.dstall + {31'd0, dma_stall_o},
                 cstall: cnt_q.cstall + {31'd0, compute_stall_o}};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int i = 0; i < CqPend; i++) cq_macs_q[i] <= '0;
    end else if (clear_i) begin
      for (int i = 0; i < CqPend; i++) cq_macs_q[i] <= '0;
    end else if (cqe_post) begin
      cq_macs_q[q.cq_wr] <= job_macs;
    end
  end

  // ---------------------------------------------------------------------
  // Status
  // ---------------------------------------------------------------------
  assign busy_o = q.st != CIdle && q.st != CHalt;
  assign idle_o = (q.st == CIdle && !start) || q.st == CHalt ||
                  (q.st == CCqeWait && cq_full);
  assign macs_o = cq_macs_q[q.cq_rd];  // of the record acknowledged now
  // The array waits for data: no full bank while loads are still due.
  assign dma_stall_o     = run_o && comp_starved_i && !ld_done_i;
  // The DMA waits for the array: the next bank is still in use, or the
  // accumulators cannot be copied out because the stores are behind.
  assign compute_stall_o = run_o && (ld_blocked_i || comp_cap_wait_i);

  // ---------------------------------------------------------------------
  // Assertions (compiled in with verilator --assert)
  // ---------------------------------------------------------------------
`ifndef SYNTHESIS
  // Jobs taken and records issued: one record per job, issued after it.
  logic [31:0] taken_q, posted_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      taken_q  <= '0;
      posted_q <= '0;
    end else if (clear_i) begin
      taken_q  <= '0;
      posted_q <= '0;
    end else begin
      taken_q  <= taken_q + 32'(sq_advance_o);
      posted_q <= posted_q + 32'(cqe_post);
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_ni && !clear_i) begin
      // Each job taken gets exactly one record: at most one job is between
      // its descriptor and its record's issue, and a record is issued only
      // for a job taken.
      assert (taken_q - posted_q <= 32'd1)
        else $error("qaccel_cmd: %0d jobs taken, %0d records", taken_q, posted_q);
      assert (!cqe_post || taken_q == posted_q + 32'd1)
        else $error("qaccel_cmd: record without a job (%0d taken, %0d records)",
                    taken_q, posted_q);
      assert ((q.st inside {CIdle, CFetch, CHalt}) == (taken_q == posted_q) ||
              q.st == CHalt)
        else $error("qaccel_cmd: state %s with %0d jobs taken, %0d records",
                    q.st.name(), taken_q, posted_q);
      // A record goes only into a free slot, and only CqPend are in flight.
      assert (!cqe_post || !cq_full)
        else $error("qaccel_cmd: record issued into a full completion ring");
      assert (32'(q.cq_pend) <= CqPend)
        else $error("qaccel_cmd: %0d records in flight", q.cq_pend);
      assert (!(cqe_ack_i && q.cq_pend == '0))
        else $error("qaccel_cmd: record acknowledged with none in flight");
      // Descriptors taken only from the buffer's filled part.
      assert (!(sq_advance_o && q.dcnt == '0))
        else $error("qaccel_cmd: descriptor taken from an empty buffer");
      assert (32'(q.dcnt) <= DescBuf)
        else $error("qaccel_cmd: %0d descriptors buffered", q.dcnt);
    end
  end
`endif

endmodule
