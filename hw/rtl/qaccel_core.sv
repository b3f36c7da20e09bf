// SPDX-License-Identifier: MIT
//
// Command processor and GEMM sequencer.
//
// Takes descriptors from the submission ring, validates them, runs a whole
// GEMM by tiling it over the array, and writes the completion record.  The
// loop nest, per job (one tile of C is Rows x Cols, one chunk KChunk of K):
//
//   for m0 in 0..M step Rows          (m outer: a row block of C and of A
//     for n0 in 0..N step Cols         stays in the DMA's translation cache)
//       for k0 in 0..K step KChunk    load A[m0.., k0..], B[n0.., k0..] (and
//                                     with the last chunk bias/quant[n0..])
//                                     into a scratchpad bank, stream it
//                                     through the array
//       copy the accumulators out     bias, requantize, write the C rows
//
// Three engines run concurrently on that nest, linked by two scratchpad
// banks and one output shadow:
//   loader   issues the DMA reads of the next chunk into the free bank;
//   compute  streams a full bank through the array, then (last chunk of a
//            tile) copies the accumulators into the shadow and clears them;
//   post     turns the shadow into C rows and issues their writes.
// So the loads of chunk i+1 and the stores of tile j-1 overlap the compute
// of chunk i.  Rows of an operand that are contiguous in memory (stride ==
// chunk length) are loaded as one range, i.e. long bursts.
//
// Descriptors are prefetched, up to 16 per read, and completion records are
// posted: the next job starts as soon as a record's write is issued, and the
// job is counted (CQ_TAIL, INT_STATUS.CQ) when its write is acknowledged.
//
// GEMV mode.  A job with M x Cols < 64 would keep fewer multipliers busy
// than one 64-byte line of B per cycle feeds, and every byte of B is used
// only M times, so it is memory bound.  Such jobs run on the same engines
// with another tile shape: one row of A, up to Cols output channels and
// up to GemvK bytes of K per bank, laid out line-aligned across the bank's
// A and B areas in equal slots (A first, then one slot per channel).  The
// slot is K rounded up to a power of two, at most GemvK, so short rows pack
// more channels into a bank: ch = min(Cols, bank bytes / slot - 1).
//
//   for m0 in 0..M                   (one row at a time)
//     for n0 in 0..N step ch
//       for k0 in 0..K step slot     load A[m0, k0..] and ch rows of B
//
// The compute engine then reads one line of A and GemvLanes lines of B
// (one per lane, each a different channel) per cycle; the array's PEs,
// switched to direct operands, form GemvLanes x 64 multipliers, one adder
// tree per lane sums its 64 products into a register, and the next cycle
// adds that into the channel's accumulator.  A bank of ch x slot bytes is
// used up in ch / GemvLanes x slot / 64 cycles, about four times faster
// than the 64 bytes/cycle port fills it, so the loads run back to back.
// The post engine writes a C row of ch channels.  Results are the same
// bits as in the tiled mode: only the order of the int32 additions differs,
// and they wrap modulo 2^32 either way.
//
// Any DMA error fails the job: the engines stop, the sequencer waits for the
// beats in flight, and completes the job with the error; a ring access error
// is fatal instead.

module qaccel_core
  import qaccel_pkg::*;
#(
  parameter int unsigned Rows    = 4,
  parameter int unsigned Cols    = 4,
  parameter int unsigned WrBytes = 64,
  parameter int unsigned KChunk  = 512,  // bytes of K per bank; a multiple of 64
  parameter int unsigned TagW    = 24
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 soft_rst_i,

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

  // DMA
  output logic                 tlb_flush_o,
  output logic                 req_valid_o,
  input  logic                 req_ready_i,
  output logic                 req_write_o,
  output logic                 req_phys_o,
  output logic                 req_cqe_o,
  output logic [2:0]           req_stream_o,
  output logic                 req_seq_o,     // the stream walks pages in order
  output logic [63:0]          req_table_o,
  output logic [31:0]          req_size_o,
  output logic [63:0]          req_x_o,
  output logic [15:0]          req_len_o,
  output logic [TagW-1:0]      req_tag_o,
  output logic [WrBytes*8-1:0] req_wdata_o,
  input  logic                 rd_valid_i,
  input  logic [TagW-1:0]      rd_tag_i,
  input  logic [511:0]         rd_data_i,
  input  logic [15:0]          rd_pos_i,
  input  logic [6:0]           rd_cnt_i,
  input  logic                 rd_last_i,
  input  logic                 err_valid_i,
  input  logic                 err_bounds_i,
  input  logic                 err_phys_i,
  input  logic                 err_cqe_i,
  input  logic                 cqe_ack_i,
  input  logic [2:0]           err_stream_i,
  input  logic                 dma_idle_i,
  input  logic                 dma_rd_idle_i,
  input  logic                 dma_wr_room_i,
  input  logic                 rd_beat_i,
  input  logic [6:0]           wr_bytes_i
);

  localparam int unsigned WrBits = WrBytes * 8;

  // Operand streams: DMA translation cache slots and err_detail - 1.
  localparam logic [2:0] StreamA     = 3'd0;
  localparam logic [2:0] StreamB     = 3'd1;
  localparam logic [2:0] StreamC     = 3'd2;
  localparam logic [2:0] StreamBias  = 3'd3;
  localparam logic [2:0] StreamQuant = 3'd4;

  // Scratchpad: 64-byte lines, two banks of {A, B, bias, quant} and spare
  // lines for the second line of an unaligned write and the fixed-width
  // bias/quant reads at the end of bank 1.
  localparam int unsigned ALines     = Rows * KChunk / 64;
  localparam int unsigned BLines     = Cols * KChunk / 64;
  localparam int unsigned BiasLines  = (Cols * 4 + 63) / 64;
  localparam int unsigned QuantLines = (Cols * 8 + 63) / 64;
  localparam int unsigned BankLines  = ALines + BLines + BiasLines + QuantLines;
  localparam int unsigned SpadLines  = 2 * BankLines + 4;
  localparam int unsigned LineW      = $clog2(SpadLines + 1);
  localparam int unsigned DestW      = TagW - 3;
  localparam int unsigned KlW        = $clog2(KMax + 1);
  localparam int unsigned BiasW      = Cols * 32;  // at most two lines
  localparam int unsigned QuantW     = Cols * 64;  // at most four lines

  // GEMV mode (see the top): lanes of 64 multipliers, at most four (one
  // line of A and four of B per cycle are plenty for a 64 bytes/cycle
  // port); arrays with fewer than 64 PEs have none and tile small M too.
  localparam int unsigned GemvLanes  = Rows * Cols >= 256 ? 4 : Rows * Cols / 64;
  localparam int unsigned GemvK      = 2048;  // largest slot: bytes of K per bank
  localparam int unsigned GemvBank   = (ALines + BLines) * 64;  // bytes for the slots
  localparam int unsigned KMax       = GemvLanes != 0 && GemvK > KChunk ? GemvK : KChunk;

  function automatic logic [DestW-1:0] a_base(logic b);
    return DestW'((b ? BankLines : 0) * 64);
  endfunction
  function automatic logic [DestW-1:0] b_base(logic b);
    return DestW'(((b ? BankLines : 0) + ALines) * 64);
  endfunction
  function automatic logic [LineW-1:0] bias_line(logic b);
    return LineW'((b ? BankLines : 0) + ALines + BLines);
  endfunction
  function automatic logic [LineW-1:0] quant_line(logic b);
    return LineW'((b ? BankLines : 0) + ALines + BLines + BiasLines);
  endfunction

  // Read tag: {descriptor, last range of a bank, bank, scratchpad byte}.
  typedef struct packed {
    logic             desc;
    logic             bank_last;
    logic             bank;
    logic [DestW-1:0] dest;
  } rd_tag_t;

  typedef enum logic [3:0] {
    CIdle,      // wait for a descriptor
    CFetch,     // descriptor beats in flight
    CDecode,    // validate
    CRun,       // loader, compute and post engines at work
    CDrain,     // last writes acknowledged
    CAbort,     // failed job: let the beats in flight land
    CCqeWait,   // completion ring full
    CCqe,       // issue the record's write (posted)
    CHalt       // fatal: until reset
  } core_state_e;

  typedef enum logic [2:0] {
    LIdle,      // no job
    LWait,      // the next bank is still in use
    LBias,
    LQuant,
    LLoadA,
    LLoadB,
    LDone       // every chunk of the job requested
  } load_state_e;

  typedef enum logic [1:0] {
    KIdle,      // wait for a full bank
    KRun,       // stream it through the array
    KCapture    // copy the accumulators to the post shadow
  } comp_state_e;

  typedef enum logic [1:0] {
    PIdle,
    PRow,       // one C row through the output stage
    PWrite      // its write request
  } post_state_e;

  // What the compute and post engines need to know of a bank's chunk.
  typedef struct packed {
    logic [16:0]    m0;
    logic [16:0]    n0;
    logic [5:0]     mv;    // valid rows, columns
    logic [5:0]     nv;
    logic [KlW-1:0] kl;    // K bytes
    logic           last;  // last chunk of its tile
  } chunk_t;

  core_state_e state_q, state_d;

  // ---------------------------------------------------------------------
  // Descriptor
  // ---------------------------------------------------------------------
  logic [DescBytes*8-1:0] desc_q, desc_d;

  function automatic logic [31:0] d32(logic [DescBytes*8-1:0] d, int unsigned off);
    return d[off*8 +: 32];
  endfunction
  function automatic logic [15:0] d16(logic [DescBytes*8-1:0] d, int unsigned off);
    return d[off*8 +: 16];
  endfunction
  function automatic logic [7:0] d8(logic [DescBytes*8-1:0] d, int unsigned off);
    return d[off*8 +: 8];
  endfunction
  function automatic logic [63:0] d64(logic [DescBytes*8-1:0] d, int unsigned off);
    return d[off*8 +: 64];
  endfunction

  logic [7:0]         opcode;
  logic [15:0]        flags;
  logic [31:0]        dim_m, dim_n, dim_k, lda, ldb, ldc, out_mult;
  logic signed [7:0]  out_shift;
  logic signed [15:0] a_zp, b_zp, c_zp, clamp_min, clamp_max;
  logic               a_u8, b_u8, bias_en, per_channel;
  out_type_e          out_type;

  assign opcode      = d8(desc_q, DescOpcode);
  assign flags       = d16(desc_q, DescFlags);
  assign dim_m       = d32(desc_q, DescM);
  assign dim_n       = d32(desc_q, DescN);
  assign dim_k       = d32(desc_q, DescK);
  assign lda         = d32(desc_q, DescLda);
  assign ldb         = d32(desc_q, DescLdb);
  assign ldc         = d32(desc_q, DescLdc);
  assign out_mult    = d32(desc_q, DescOutMultiplier);
  assign out_shift   = d8(desc_q, DescOutShift);
  assign a_zp        = d16(desc_q, DescAZeroPoint);
  assign b_zp        = d16(desc_q, DescBZeroPoint);
  assign c_zp        = d16(desc_q, DescCZeroPoint);
  assign clamp_min   = d16(desc_q, DescClampMin);
  assign clamp_max   = d16(desc_q, DescClampMax);
  assign a_u8        = flags[FlagAUint8];
  assign b_u8        = flags[FlagBUint8];
  assign bias_en     = flags[FlagBias];
  assign out_type    = out_type_e'(flags[FlagOutShift +: 2]);
  assign per_channel = flags[FlagPerChannel] && out_type != OutInt32;

  // Small M runs in GEMV mode, decided per job, with slots of 2^g_sh bytes
  // (K rounded up to a power of two, 64..GemvK) and g_ch channels a bank.
  logic        gemv;
  logic [3:0]  g_sh;
  logic [5:0]  g_ch;
  assign gemv = GemvLanes != 0 && dim_m * Cols < 32'd64;
  always_comb begin
    logic [31:0] slots;
    g_sh = 4'd6;
    for (int b = 6; b < $clog2(GemvK); b++) begin
      if (dim_k > 32'd1 << b) g_sh = 4'(b + 1);
    end
    slots = 32'(GemvBank) >> g_sh;
    g_ch  = slots - 1 < Cols ? 6'(slots - 1) : 6'(Cols);
  end

  function automatic logic in_range(logic signed [15:0] v, logic is_u8);
    return is_u8 ? (v >= 16'sd0 && v <= 16'sd255) : (v >= -16'sd128 && v <= 16'sd127);
  endfunction

  function automatic logic dim_ok(logic [31:0] v);
    return v != 32'd0 && v <= MaxDim;
  endfunction

  err_e decode_status;
  always_comb begin
    logic out_u8;
    out_u8 = out_type == OutUint8;
    decode_status = ErrOk;
    if (opcode > OpGemm || d8(desc_q, DescReserved0) != '0 || d8(desc_q, DescReserved1) != '0) begin
      decode_status = ErrBadOpcode;
    end else if (opcode == OpNop) begin
      decode_status = ErrOk;
    end else if (!dim_ok(dim_m) || !dim_ok(dim_n) || !dim_ok(dim_k)) begin
      decode_status = ErrBadDim;
    end else if ((flags & ~FlagsAll) != '0 || flags[FlagOutShift +: 2] == 2'd3) begin
      decode_status = ErrBadFlags;
    end else if (!in_range(a_zp, a_u8) || !in_range(b_zp, b_u8)) begin
      decode_status = ErrBadParam;
    end else if (out_type != OutInt32 &&
                 (!in_range(c_zp, out_u8) || !in_range(clamp_min, out_u8) ||
                  !in_range(clamp_max, out_u8) || clamp_min > clamp_max ||
                  (!per_channel && (out_shift < -8'sd31 || out_shift > 8'sd30)))) begin
      decode_status = ErrBadParam;
    end
  end

  // ---------------------------------------------------------------------
  // Job bookkeeping
  // ---------------------------------------------------------------------
  err_e        status_q, status_d;
  logic [31:0] detail_q, detail_d;
  logic        job_err_q, job_err_d;
  logic [63:0] job_cycles_q, job_busy_q, job_rd_q, job_wr_q;
  logic [31:0] job_dstall_q, job_cstall_q;

  logic dma_err_job;  // an operand error this cycle that fails the job
  assign dma_err_job = err_valid_i && !err_phys_i;

  logic run;  // the engines work only while the job is running
  assign run = state_q == CRun;

  // ---------------------------------------------------------------------
  // Scratchpad: every read beat lands here (or in the descriptor)
  // ---------------------------------------------------------------------
  logic [511:0] spad_q [SpadLines];

  rd_tag_t rd_tag;
  assign rd_tag = rd_tag_t'(rd_tag_i);

  // A beat's bytes go to [dest + pos, dest + pos + cnt), which straddles at
  // most two lines: merge into both and write both back.
  logic [DestW-1:0]  wr_byte;
  logic [LineW-1:0]  wr_line;
  logic [1023:0]     wr_win, wr_mask, wr_new;
  logic              spad_we;

  assign spad_we = rd_valid_i && !rd_tag.desc;
  assign wr_byte = rd_tag.dest + DestW'(rd_pos_i);
  assign wr_line = LineW'(wr_byte >> 6);

  always_comb begin
    logic [1023:0] ones;
    ones    = {512'd0, {512{1'b1}} >> {7'd64 - rd_cnt_i, 3'd0}};
    wr_mask = ones << {wr_byte[5:0], 3'd0};
    wr_new  = {512'd0, rd_data_i} << {wr_byte[5:0], 3'd0};
    wr_win  = {spad_q[wr_line + 1'b1], spad_q[wr_line]};
    wr_win  = (wr_win & ~wr_mask) | (wr_new & wr_mask);
  end

  // Scratchpads need no reset: nothing reads a byte before a load writes it.
  always_ff @(posedge clk_i) begin
    if (spad_we) begin
      spad_q[wr_line]        <= wr_win[511:0];
      spad_q[wr_line + 1'b1] <= wr_win[1023:512];
    end
  end

  // Descriptor prefetch: one read fetches up to DescBuf descriptors (all
  // published ones, up to the ring's end) into a buffer; they are taken one
  // by one.  SQ_HEAD advances when a descriptor is taken, so the buffer is
  // only a speculative copy of published slots and is simply dropped when
  // the device is disabled, fatal or reset.  The ring is 128-byte aligned:
  // every beat is one half of one descriptor.
  localparam int unsigned DescBuf = 16;
  logic [DescBuf-1:0][DescBytes*8-1:0] dbuf_q;
  logic [4:0]                          dcnt_q, dcnt_d;   // buffered, not taken
  logic [3:0]                          didx_q, didx_d;   // next to take
  logic [4:0]                          dfetch_q, dfetch_d;  // in the read in flight
  logic                                desc_we, desc_take;
  assign desc_we = rd_valid_i && rd_tag.desc;
  always_ff @(posedge clk_i) begin
    if (desc_we) dbuf_q[rd_pos_i[10:7]][rd_pos_i[6] * 512 +: 512] <= rd_data_i;
  end
  always_comb begin
    desc_d = desc_q;
    if (desc_take) desc_d = dbuf_q[didx_q];
  end

  // ---------------------------------------------------------------------
  // Banks
  // ---------------------------------------------------------------------
  logic [1:0]         bank_busy_q, bank_full_q;  // being loaded or full; all beats in
  logic [1:0][$bits(chunk_t)-1:0] bank_chunk_q;
  logic               bank_claim, bank_release;
  logic               bank_filled;

  assign bank_filled = spad_we && rd_tag.bank_last && rd_last_i;

  // ---------------------------------------------------------------------
  // Loader
  // ---------------------------------------------------------------------
  load_state_e    ld_q, ld_d;
  logic [16:0]    lm0_q, ln0_q, lk0_q, lm0_d, ln0_d, lk0_d;
  logic [5:0]     lidx_q, lidx_d;
  logic           lbank_q, lbank_d;
  logic [5:0]     lmv, lnv;
  logic [KlW-1:0] lkl;
  logic           l_last_k, l_last_m, l_last_n, a_whole, b_whole;

  // The tile shape: Rows x Cols x KChunk, or 1 x g_ch x slot in GEMV mode.
  logic [5:0]     t_rows, t_cols;
  logic [KlW-1:0] t_k;
  assign t_rows = gemv ? 6'd1 : 6'(Rows);
  assign t_cols = gemv ? g_ch : 6'(Cols);
  assign t_k    = gemv ? KlW'(1) << g_sh : KlW'(KChunk);

  assign lmv = (dim_m - 32'(lm0_q)) < 32'(t_rows) ? 6'(dim_m - 32'(lm0_q)) : t_rows;
  assign lnv = (dim_n - 32'(ln0_q)) < 32'(t_cols) ? 6'(dim_n - 32'(ln0_q)) : t_cols;
  assign lkl = (dim_k - 32'(lk0_q)) < 32'(t_k) ? KlW'(dim_k - 32'(lk0_q)) : t_k;
  assign l_last_k = 32'(lk0_q) + 32'(t_k) >= dim_k;
  assign l_last_m = 32'(lm0_q) + 32'(t_rows) >= dim_m;
  assign l_last_n = 32'(ln0_q) + 32'(t_cols) >= dim_n;
  // The rows of a chunk are one contiguous range when the stride is the
  // chunk length: load them with one request (long bursts).  GEMV slots
  // are a slot apart, so there only full-slot rows qualify.
  assign a_whole = lda == 32'(lkl);
  assign b_whole = ldb == 32'(lkl) && (!gemv || lkl == t_k);

  // A reuse: a bank still holding the A block of this chunk (same m0, k0 of
  // the same job) skips its A load.  With m outer and one or two chunks per
  // tile, both banks keep the row block of A while B strips go by, which
  // halves the loader's reads for K <= 2 * KChunk.
  logic [1:0]        a_vld_q;
  logic [1:0][16:0]  a_m0_q, a_k0_q;
  // Decided when the bank is claimed (the claim retags the bank), kept in
  // a_keep_q for the bias and quant states in between.
  logic              a_keep, a_keep_q;
  load_state_e       l_first_op;
  assign a_keep     = ld_q == LWait ? a_vld_q[lbank_q] && a_m0_q[lbank_q] == lm0_q &&
                                      a_k0_q[lbank_q] == lk0_q
                                    : a_keep_q;
  assign l_first_op = a_keep ? LLoadB : LLoadA;

  // The loader goes first: its few long reads decide when the array can run,
  // while the post engine has a whole tile's time for its writes.
  logic ld_req, ld_grant, post_req, post_grant;
  assign ld_req     = ld_q inside {LBias, LQuant, LLoadA, LLoadB};
  assign ld_grant   = ld_req && req_ready_i;

  always_comb begin
    ld_d       = ld_q;
    lm0_d      = lm0_q;
    ln0_d      = ln0_q;
    lk0_d      = lk0_q;
    lidx_d     = lidx_q;
    lbank_d    = lbank_q;
    bank_claim = 1'b0;
    unique case (ld_q)
      LWait: begin
        if (!bank_busy_q[lbank_q]) begin
          bank_claim = 1'b1;
          lidx_d     = '0;
          ld_d       = (l_last_k && bias_en) ? LBias :
                       (l_last_k && per_channel) ? LQuant : l_first_op;
        end
      end
      LBias: begin
        if (ld_grant) ld_d = per_channel ? LQuant : l_first_op;
      end
      LQuant: begin
        if (ld_grant) ld_d = l_first_op;
      end
      LLoadA: begin
        if (ld_grant) begin
          lidx_d = lidx_q + 6'd1;
          if (a_whole || lidx_q + 6'd1 >= lmv) begin
            lidx_d = '0;
            ld_d   = LLoadB;
          end
        end
      end
      LLoadB: begin
        if (ld_grant) begin
          lidx_d = lidx_q + 6'd1;
          if (b_whole || lidx_q + 6'd1 >= lnv) begin
            lidx_d  = '0;
            lbank_d = !lbank_q;
            ld_d    = LWait;
            if (!l_last_k) begin
              lk0_d = lk0_q + 17'(t_k);
            end else begin
              lk0_d = '0;
              if (!l_last_n) begin
                ln0_d = ln0_q + 17'(t_cols);
              end else begin
                ln0_d = '0;
                if (!l_last_m) lm0_d = lm0_q + 17'(t_rows);
                else ld_d = LDone;
              end
            end
          end
        end
      end
      default: ;
    endcase
    if (!run) begin
      ld_d    = (state_q == CDecode && decode_status == ErrOk && opcode == OpGemm) ? LWait : LIdle;
      lm0_d   = '0;
      ln0_d   = '0;
      lk0_d   = '0;
      lidx_d  = '0;
      lbank_d = 1'b0;
    end
  end

  chunk_t l_chunk;
  assign l_chunk = '{m0: lm0_q, n0: ln0_q, mv: lmv, nv: lnv, kl: lkl, last: l_last_k};

  // ---------------------------------------------------------------------
  // Compute: the array and its skewed edges
  // ---------------------------------------------------------------------
  comp_state_e cs_q, cs_d;
  logic        cbank_q, cbank_d;
  logic [10:0] t_q, t_d;
  chunk_t      c_chunk;
  logic        array_clear, capture, post_busy;

  assign c_chunk = chunk_t'(bank_chunk_q[cbank_q]);

  logic                            clear_acc;
  logic [Rows-1:0][9:0]            a_edge;
  logic [Cols-1:0][9:0]            b_edge;
  logic [Rows-1:0][Cols-1:0][31:0] acc;

  // Zero points are validated to their element's range, so value - zp fits
  // in 10 bits and the low 10 bits of zp are enough.
  function automatic logic [9:0] operand(logic [7:0] v, logic is_u8, logic [9:0] zp);
    return (is_u8 ? {2'b00, v} : {{2{v[7]}}, v}) - zp;
  endfunction

  // Row r of A enters r cycles late and column c of B c cycles late, so
  // PE(r,c) sees k = t - r - c from both sides; outside 0..kl-1 both are 0.
  // Row r of a chunk starts r * kl bytes into its operand's area.
  always_comb begin
    logic [DestW-1:0] a_at, b_at;
    a_at   = '0;
    b_at   = '0;
    a_edge = '0;
    b_edge = '0;
    if (cs_q == KRun && !gemv) begin
      for (int r = 0; r < Rows; r++) begin
        a_at = a_base(cbank_q) + DestW'(r) * DestW'(c_chunk.kl) + DestW'(t_q) - DestW'(r);
        if (32'(t_q) >= 32'(r) && 32'(t_q) - 32'(r) < 32'(c_chunk.kl)) begin
          a_edge[r] = operand(spad_q[LineW'(a_at >> 6)][a_at[5:0] * 8 +: 8], a_u8, a_zp[9:0]);
        end
      end
      for (int c = 0; c < Cols; c++) begin
        b_at = b_base(cbank_q) + DestW'(c) * DestW'(c_chunk.kl) + DestW'(t_q) - DestW'(c);
        if (32'(t_q) >= 32'(c) && 32'(t_q) - 32'(c) < 32'(c_chunk.kl)) begin
          b_edge[c] = operand(spad_q[LineW'(b_at >> 6)][b_at[5:0] * 8 +: 8], b_u8, b_zp[9:0]);
        end
      end
    end
  end

  // GEMV datapath, four stages: in issue cycle (gi, gc) lane g reads line
  // gi of A and of channel gc + g's slot into operand registers (bytes past
  // the chunk's K as zeros), byte j for PE g * 64 + j (row-major); the PEs
  // multiply them into their accumulator registers; the lane's tree sums
  // the 64 products into lsum_q; the sum is added into the channel's
  // accumulator.  Lanes past the chunk's channels are not valid.  gdone_q:
  // every group issued; two cycles more (gdrain_q) and the pipeline is
  // empty.
  localparam int unsigned GL = GemvLanes != 0 ? GemvLanes : 1;
  localparam int unsigned CW = $clog2(Cols);
  localparam int unsigned PE = Rows * Cols;
  localparam int unsigned GP = GemvLanes != 0 ? GemvLanes * 64 : 1;  // PEs the lanes use

  logic [5:0]              gi_q, gi_d, gc_q, gc_d, g_lines;
  logic                    gdone_q, gdone_d;
  logic [1:0]              gdrain_q;  // gdone_q was set 1 and 2 cycles ago
  logic [GP-1:0][9:0]      a_dir, b_dir;
  logic [GL-1:0]           opval_d, opval_q;  // stage 1 -> 2: lane holds operands
  logic [GL-1:0][CW-1:0]   opch_d, opch_q;
  logic [GL-1:0]           pval_q;            // stage 2 -> 3: lane's PEs hold products
  logic [GL-1:0][CW-1:0]   pch_q;
  logic [GL-1:0][31:0]     lsum_d, lsum_q;    // stage 2 -> 3: lane sums
  logic [GL-1:0]           lval_q;
  logic [GL-1:0][CW-1:0]   lch_q;
  logic [Cols-1:0][31:0]   gacc_q;

  assign g_lines = 6'((32'(c_chunk.kl) + 32'd63) >> 6);

  if (GemvLanes != 0) begin : g_gemv
    // The first GP accumulators, flat: in GEMV mode they hold products.
    logic [GP-1:0][31:0] prod;
    assign prod = (GP * 32)'(acc);

    // Stage 1: the lines are read and turned into operands, registered
    // (only while issuing, so the registers are quiet otherwise).
    always_ff @(posedge clk_i) begin
      logic [LineW-1:0] base;
      logic [511:0]     a_line, b_line;
      logic [31:0]      left;
      if (cs_q == KRun && gemv && !gdone_q) begin
        base   = cbank_q ? LineW'(BankLines) : '0;
        a_line = spad_q[base + LineW'(gi_q)];
        left   = 32'(c_chunk.kl) - {20'd0, gi_q, 6'd0};  // K bytes from this line on
        for (int g = 0; g < GL; g++) begin
          if (32'(gc_q) + 32'(g) < 32'(c_chunk.nv)) begin
            b_line = spad_q[base + ((LineW'(gc_q) + LineW'(g) + 1'b1) << (g_sh - 4'd6)) +
                            LineW'(gi_q)];
            for (int j = 0; j < 64; j++) begin
              a_dir[g * 64 + j] <= 32'(j) < left ? operand(a_line[j * 8 +: 8], a_u8, a_zp[9:0])
                                                 : '0;
              b_dir[g * 64 + j] <= 32'(j) < left ? operand(b_line[j * 8 +: 8], b_u8, b_zp[9:0])
                                                 : '0;
            end
          end
        end
      end
    end

    always_comb begin
      opval_d = '0;
      opch_d  = '0;
      if (cs_q == KRun && gemv && !gdone_q) begin
        for (int g = 0; g < GL; g++) begin
          opch_d[g]  = CW'(32'(gc_q) + 32'(g));
          opval_d[g] = 32'(gc_q) + 32'(g) < 32'(c_chunk.nv);
        end
      end
    end

    // Stage 2: the PEs multiply into their accumulator registers.  Stage
    // 3: one adder tree per lane sums its 64 products (20 bits each, 26 in
    // all), registered before the accumulate.
    always_comb begin
      for (int g = 0; g < GL; g++) begin
        lsum_d[g] = '0;
        if (pval_q[g]) begin
          for (int j = 0; j < 64; j++) begin
            lsum_d[g] = lsum_d[g] + prod[g * 64 + j];
          end
        end
      end
    end
  end else begin : g_no_gemv
    assign a_dir   = '0;
    assign b_dir   = '0;
    assign opval_d = '0;
    assign opch_d  = '0;
    assign lsum_d  = '0;
    logic unused_gemv;
    assign unused_gemv = ^{gi_q, gc_q, g_lines, g_sh};
  end

  qaccel_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i,
    .rst_ni,
    .clear_i (clear_acc || soft_rst_i),
    .a_i     (a_edge),
    .b_i     (b_edge),
    .gemv_i  (gemv && cs_q == KRun),
    .a_dir_i ((PE * 10)'(a_dir)),
    .b_dir_i ((PE * 10)'(b_dir)),
    .acc_o   (acc)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      opval_q  <= '0;
      opch_q   <= '0;
      pval_q   <= '0;
      pch_q    <= '0;
      lsum_q   <= '0;
      lval_q   <= '0;
      lch_q    <= '0;
      gacc_q   <= '0;
      gdrain_q <= '0;
    end else if (soft_rst_i || clear_acc) begin
      opval_q  <= '0;
      pval_q   <= '0;
      lval_q   <= '0;
      gacc_q   <= '0;
      gdrain_q <= '0;
    end else begin
      opval_q  <= opval_d;
      opch_q   <= opch_d;
      pval_q   <= opval_q;
      pch_q    <= opch_q;
      lsum_q   <= lsum_d;
      lval_q   <= pval_q;
      lch_q    <= pch_q;
      gdrain_q <= gdone_q ? {gdrain_q[0], 1'b1} : 2'b00;
      for (int g = 0; g < GL; g++) begin
        if (lval_q[g]) gacc_q[lch_q[g]] <= gacc_q[lch_q[g]] + lsum_q[g];
      end
    end
  end

  always_comb begin
    cs_d         = cs_q;
    cbank_d      = cbank_q;
    t_d          = t_q;
    gi_d         = gi_q;
    gc_d         = gc_q;
    gdone_d      = gdone_q;
    capture      = 1'b0;
    bank_release = 1'b0;
    unique case (cs_q)
      KIdle: begin
        if (bank_full_q[cbank_q]) begin
          t_d     = '0;
          gi_d    = '0;
          gc_d    = '0;
          gdone_d = 1'b0;
          cs_d    = KRun;
        end
      end
      KRun: begin
        t_d = t_q + 11'd1;
        if (gemv && !gdone_q) begin
          gi_d = gi_q + 6'd1;
          if (gi_q + 6'd1 >= g_lines) begin
            gi_d = '0;
            gc_d = gc_q + 6'(GemvLanes);
            if (32'(gc_q) + GemvLanes >= 32'(c_chunk.nv)) gdone_d = 1'b1;
          end
        end
        // GEMV: three cycles after the last issue the last operands have
        // been multiplied, summed and accumulated.
        if (gemv ? gdone_q && gdrain_q[1] : 32'(t_q) + 3 >= 32'(c_chunk.kl) + Rows + Cols) begin
          if (c_chunk.last) begin
            cs_d = KCapture;
          end else begin
            bank_release = 1'b1;
            cbank_d      = !cbank_q;
            cs_d         = KIdle;
          end
        end
      end
      KCapture: begin
        if (!post_busy) begin
          capture      = 1'b1;
          bank_release = 1'b1;
          cbank_d      = !cbank_q;
          cs_d         = KIdle;
        end
      end
      default: cs_d = KIdle;
    endcase
    if (!run) begin
      cs_d    = KIdle;
      cbank_d = 1'b0;
    end
  end

  // ---------------------------------------------------------------------
  // Post: the output stage works on a copy of the accumulators
  // ---------------------------------------------------------------------
  post_state_e                     ps_q, ps_d;
  logic [5:0]                      pidx_q, pidx_d;
  logic [Rows-1:0][Cols-1:0][31:0] acc_sh_q;
  logic [Cols-1:0][31:0]           bias_sh_q;
  logic [Cols-1:0][63:0]           quant_sh_q;
  logic [16:0]                     pm0_q, pn0_q;
  logic [5:0]                      pmv_q, pnv_q;
  logic                            crow_load, post_bad;

  // Every per-channel shift of the tile must be in range.
  logic quant_ok;
  always_comb begin
    quant_ok = 1'b1;
    for (int c = 0; c < Cols; c++) begin
      if (6'(c) < pnv_q && per_channel &&
          ($signed(quant_sh_q[c][63:32]) < ShiftMin || $signed(quant_sh_q[c][63:32]) > ShiftMax)) begin
        quant_ok = 1'b0;
      end
    end
  end

  logic [WrBytes*8-1:0] post_row, crow_q;

  qaccel_post #(.Cols(Cols), .WrBytes(WrBytes)) u_post (
    .acc_i         (acc_sh_q[pidx_q[$clog2(Rows)-1:0]]),
    .bias_i        (bias_sh_q),
    .quant_i       (quant_sh_q),
    .bias_en_i     (bias_en),
    .per_channel_i (per_channel),
    .out_type_i    (out_type),
    .mult_i        (out_mult),
    .shift_i       (out_shift),
    .zp_i          (c_zp),
    .min_i         (clamp_min),
    .max_i         (clamp_max),
    .row_o         (post_row)
  );

  assign post_busy = ps_q != PIdle;
  assign post_req   = ps_q == PWrite && dma_wr_room_i && !ld_req;
  assign post_grant = post_req && req_ready_i;

  always_comb begin
    ps_d      = ps_q;
    pidx_d    = pidx_q;
    crow_load = 1'b0;
    post_bad  = 1'b0;
    unique case (ps_q)
      PIdle: begin
        if (capture) begin
          pidx_d = '0;
          ps_d   = PRow;
        end
      end
      PRow: begin
        if (!quant_ok) begin
          post_bad = 1'b1;
        end else begin
          crow_load = 1'b1;
          ps_d      = PWrite;
        end
      end
      PWrite: begin
        if (post_grant) begin
          pidx_d = pidx_q + 6'd1;
          ps_d   = pidx_q + 6'd1 >= pmv_q ? PIdle : PRow;
        end
      end
      default: ps_d = PIdle;
    endcase
    if (!run) ps_d = PIdle;
  end

  // ---------------------------------------------------------------------
  // Completion record
  // ---------------------------------------------------------------------
  logic [47:0]  job_macs;
  logic [511:0] cqe;
  logic         cq_full;

  // Posted records: a record's write is issued and the sequencer goes on;
  // CQ_TAIL (and INT_STATUS.CQ, the job counters) advance on its write
  // response, in order.  cq_pend_q records are in flight; the next one goes
  // cq_pend_q slots past CQ_TAIL, with the phase of that slot.
  localparam int unsigned CqPend = 16;  // the DMA's write tags
  logic [4:0]              cq_pend_q;
  logic [3:0]              cq_wr_q, cq_rd_q;  // macs of the records in flight
  logic [CqPend-1:0][47:0] cq_macs_q;
  logic [12:0]             cq_wpos;
  logic [11:0]             cq_wtail;
  logic                    cq_phase, cqe_post;
  assign cq_wpos  = 13'(cq_tail_i) + 13'(cq_pend_q);
  assign cq_wtail = cq_wpos[11:0] & cq_mask_i;
  assign cq_phase = phase_i ^ (cq_wpos > 13'(cq_mask_i));
  assign cq_full  = ((cq_wtail + 12'd1) & cq_mask_i) == cq_head_i ||
                    32'(cq_pend_q) >= CqPend;
  assign cqe_post = state_q == CCqe && req_ready_i;
  assign job_macs = (status_q == ErrOk && opcode == OpGemm)
                  ? 48'(dim_m[15:0]) * 48'(dim_n[15:0]) * 48'(dim_k[15:0]) : 48'd0;

  always_comb begin
    cqe = '0;
    cqe[CqeTag*8 +: 32]                = d32(desc_q, DescTag);
    cqe[CqeStatus*8 +: 16]             = status_q;
    cqe[CqeInfo*8 + CqePhase]          = cq_phase;
    cqe[CqeSqHead*8 +: 32]             = {20'd0, sq_head_i};  // advanced at fetch
    cqe[CqeErrDetail*8 +: 32]          = detail_q;
    cqe[CqeCycles*8 +: 64]             = job_cycles_q;
    cqe[CqeBusyCycles*8 +: 64]         = job_busy_q;
    cqe[CqeMacs*8 +: 64]               = {16'd0, job_macs};
    cqe[CqeDmaRdBytes*8 +: 64]         = job_rd_q;
    cqe[CqeDmaWrBytes*8 +: 64]         = job_wr_q;
    cqe[CqeDmaStallCycles*8 +: 32]     = job_dstall_q;
    cqe[CqeComputeStallCycles*8 +: 32] = job_cstall_q;
  end

  // ---------------------------------------------------------------------
  // DMA requests: the post engine's writes go before the loader's reads
  // ---------------------------------------------------------------------
  logic [63:0] desc_addr, cqe_addr;
  logic        start;

  logic [63:0] cqe_fail_addr;
  logic [12:0] sq_avail, sq_to_end, dfetch_n;
  assign desc_addr     = sq_base_i + {45'd0, sq_head_i, 7'd0};
  assign cqe_addr      = cq_base_i + {46'd0, cq_wtail, 6'd0};
  assign cqe_fail_addr = cq_base_i + {46'd0, cq_tail_i, 6'd0};  // the oldest in flight
  assign sq_avail      = {1'b0, (sq_tail_i - sq_head_i) & sq_mask_i};
  assign sq_to_end     = 13'(sq_mask_i) + 13'd1 - 13'(sq_head_i);
  always_comb begin
    dfetch_n = sq_avail < sq_to_end ? sq_avail : sq_to_end;
    if (dfetch_n > 13'(DescBuf)) dfetch_n = 13'(DescBuf);
  end
  assign start     = enable_i && !fatal_i && sq_head_i != sq_tail_i;

  // One multiplier for every row address: (first row + idx) * stride.
  logic [16:0] row;
  logic [31:0] stride;
  logic [63:0] row_off;
  assign row_off = 64'(row) * 64'(stride);

  function automatic logic [63:0] buf_table(logic [DescBytes*8-1:0] d, int unsigned buf_off);
    return d64(d, buf_off + BufTable);
  endfunction
  function automatic logic [31:0] buf_offset(logic [DescBytes*8-1:0] d, int unsigned buf_off);
    return d32(d, buf_off + BufOffset);
  endfunction
  function automatic logic [31:0] buf_size(logic [DescBytes*8-1:0] d, int unsigned buf_off);
    return d32(d, buf_off + BufSize);
  endfunction

  logic c_is_i32;
  assign c_is_i32 = out_type == OutInt32;

  function automatic logic [TagW-1:0] spad_tag(logic last, logic bank, logic [DestW-1:0] dest);
    return TagW'(rd_tag_t'{desc: 1'b0, bank_last: last, bank: bank, dest: dest});
  endfunction

  // Where row lidx of the chunk goes, from the start of its area; GEMV
  // channel slots start after A's slot.
  logic [DestW-1:0] ld_dest, ld_b_dest;
  assign ld_dest   = DestW'(lidx_q) * DestW'(lkl);
  assign ld_b_dest = gemv ? a_base(lbank_q) + ((DestW'(lidx_q) + 1'b1) << g_sh)
                          : b_base(lbank_q) + ld_dest;

  always_comb begin
    req_valid_o  = 1'b0;
    req_write_o  = 1'b0;
    req_phys_o   = 1'b0;
    req_cqe_o    = 1'b0;
    req_stream_o = StreamA;
    req_seq_o    = 1'b0;
    req_table_o  = '0;
    req_size_o   = '0;
    req_x_o      = '0;
    req_len_o    = '0;
    req_tag_o    = '0;
    req_wdata_o  = crow_q;
    row          = '0;
    stride       = '0;
    if (state_q == CIdle) begin
      req_valid_o = start && dcnt_q == '0;
      req_phys_o  = 1'b1;
      req_x_o     = desc_addr;
      req_len_o   = 16'(dfetch_n) * 16'(DescBytes);
      req_tag_o   = TagW'(rd_tag_t'{desc: 1'b1, bank_last: 1'b0, bank: 1'b0, dest: '0});
    end else if (state_q == CCqe) begin
      req_valid_o = 1'b1;
      req_write_o = 1'b1;
      req_phys_o  = 1'b1;
      req_x_o     = cqe_addr;
      req_cqe_o   = 1'b1;
      req_len_o   = 16'(CqeBytes);
      req_wdata_o = WrBits'(cqe);
    end else if (ld_req) begin
      unique case (ld_q)
        LBias: begin
          req_valid_o  = 1'b1;
          req_stream_o = StreamBias;
          req_table_o  = buf_table(desc_q, DescBias);
          req_size_o   = buf_size(desc_q, DescBias);
          req_x_o      = 64'(buf_offset(desc_q, DescBias)) + {45'd0, ln0_q, 2'd0};
          req_len_o    = {8'd0, lnv, 2'd0};
          req_tag_o    = spad_tag(1'b0, lbank_q, DestW'({bias_line(lbank_q), 6'd0}));
        end
        LQuant: begin
          req_valid_o  = 1'b1;
          req_stream_o = StreamQuant;
          req_table_o  = buf_table(desc_q, DescQuant);
          req_size_o   = buf_size(desc_q, DescQuant);
          req_x_o      = 64'(buf_offset(desc_q, DescQuant)) + {44'd0, ln0_q, 3'd0};
          req_len_o    = {7'd0, lnv, 3'd0};
          req_tag_o    = spad_tag(1'b0, lbank_q, DestW'({quant_line(lbank_q), 6'd0}));
        end
        LLoadA: begin
          req_valid_o  = 1'b1;
          req_stream_o = StreamA;
          req_table_o  = buf_table(desc_q, DescA);
          req_size_o   = buf_size(desc_q, DescA);
          row          = lm0_q + 17'(lidx_q);
          stride       = lda;
          req_x_o      = 64'(buf_offset(desc_q, DescA)) + row_off + 64'(lk0_q);
          req_len_o    = a_whole ? 16'(lmv) * 16'(lkl) : 16'(lkl);
          req_tag_o    = spad_tag(1'b0, lbank_q, a_base(lbank_q) + ld_dest);
        end
        LLoadB: begin
          req_valid_o  = 1'b1;
          req_stream_o = StreamB;
          req_table_o  = buf_table(desc_q, DescB);
          req_size_o   = buf_size(desc_q, DescB);
          row          = ln0_q + 17'(lidx_q);
          stride       = ldb;
          // GEMV streams B once, row after row: let the DMA fetch the next
          // line of page table entries ahead.
          req_seq_o    = gemv;
          req_x_o      = 64'(buf_offset(desc_q, DescB)) + row_off + 64'(lk0_q);
          req_len_o    = b_whole ? 16'(lnv) * 16'(lkl) : 16'(lkl);
          req_tag_o    = spad_tag(b_whole || lidx_q + 6'd1 >= lnv, lbank_q, ld_b_dest);
        end
        default: ;
      endcase
    end else if (post_req) begin
      req_valid_o  = 1'b1;
      req_write_o  = 1'b1;
      req_stream_o = StreamC;
      req_table_o  = buf_table(desc_q, DescC);
      req_size_o   = buf_size(desc_q, DescC);
      row          = pm0_q + 17'(pidx_q);
      stride       = ldc;
      req_x_o      = 64'(buf_offset(desc_q, DescC)) + row_off +
                     (c_is_i32 ? {45'd0, pn0_q, 2'd0} : 64'(pn0_q));
      req_len_o    = c_is_i32 ? {8'd0, pnv_q, 2'd0} : {10'd0, pnv_q};
    end
  end

  // ---------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------
  logic in_job;  // states in which an operand error aborts the job
  assign in_job = state_q inside {CRun, CDrain};

  logic engines_idle;
  assign engines_idle = ld_q == LDone && cs_q == KIdle && bank_busy_q == 2'b00 && !post_busy;

  always_comb begin
    state_d      = state_q;
    status_d     = status_q;
    detail_d     = detail_q;
    job_err_d    = job_err_q;
    array_clear  = 1'b0;
    tlb_flush_o  = 1'b0;
    job_done_o   = cqe_ack_i;
    sq_advance_o = 1'b0;
    desc_take    = 1'b0;
    dcnt_d       = dcnt_q;
    didx_d       = didx_q;
    dfetch_d     = dfetch_q;
    fatal_set_o  = 1'b0;
    fatal_code_o = ErrRingFault;
    fatal_addr_o = '0;

    if (in_job && dma_err_job && !job_err_q) begin
      job_err_d = 1'b1;
      status_d  = err_bounds_i ? ErrDmaBounds : ErrDmaFault;
      detail_d  = 32'(err_stream_i) + 32'd1;
    end

    unique case (state_q)
      CIdle: begin
        if (start && dcnt_q != '0) begin
          desc_take    = 1'b1;
          sq_advance_o = 1'b1;
          dcnt_d       = dcnt_q - 5'd1;
          didx_d       = didx_q + 4'd1;
          state_d      = CDecode;
        end else if (start && req_ready_i) begin
          dfetch_d = 5'(dfetch_n);
          state_d  = CFetch;
        end
      end
      CFetch: begin
        if (err_valid_i && !err_cqe_i) begin
          fatal_set_o  = 1'b1;
          fatal_addr_o = desc_addr;
          state_d      = CHalt;
        end else if (dma_rd_idle_i) begin
          dcnt_d  = dfetch_q;
          didx_d  = '0;
          state_d = CIdle;
        end
      end
      CDecode: begin
        status_d    = decode_status;
        detail_d    = '0;
        job_err_d   = 1'b0;
        tlb_flush_o = 1'b1;
        array_clear = 1'b1;
        state_d     = (decode_status == ErrOk && opcode == OpGemm) ? CRun : CCqeWait;
      end
      CRun: begin
        if (post_bad) begin
          status_d = ErrBadParam;
          state_d  = CAbort;
        end else if (engines_idle) begin
          state_d = CDrain;
        end
      end
      CDrain: begin
        if (dma_idle_i && !err_valid_i) state_d = CCqeWait;
      end
      CAbort: begin
        if (dma_idle_i && !err_valid_i) state_d = CCqeWait;
      end
      CCqeWait: begin
        if (!cq_full) state_d = CCqe;
      end
      CCqe: begin
        if (req_ready_i) state_d = CIdle;
      end
      CHalt: ;
      default: state_d = CIdle;
    endcase

    // An operand error ends the job wherever the sequencer is.
    if (in_job && (job_err_q || dma_err_job)) state_d = CAbort;

    // A record's write failed: fatal wherever the sequencer is.
    if (err_valid_i && err_cqe_i && state_q != CHalt) begin
      fatal_set_o  = 1'b1;
      fatal_addr_o = cqe_fail_addr;
      job_done_o   = 1'b0;
      state_d      = CHalt;
    end

    // Disabled or fatal: the prefetched descriptors are dropped.
    if (!enable_i || fatal_i) dcnt_d = '0;
  end

  assign clear_acc = array_clear || capture;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= CIdle;
      desc_q       <= '0;
      dcnt_q       <= '0;
      didx_q       <= '0;
      dfetch_q     <= '0;
      cq_pend_q    <= '0;
      cq_wr_q      <= '0;
      cq_rd_q      <= '0;
      cq_macs_q    <= '0;
      status_q     <= ErrOk;
      detail_q     <= '0;
      job_err_q    <= 1'b0;
      ld_q         <= LIdle;
      lm0_q        <= '0;
      ln0_q        <= '0;
      lk0_q        <= '0;
      lidx_q       <= '0;
      lbank_q      <= 1'b0;
      bank_busy_q  <= '0;
      bank_full_q  <= '0;
      bank_chunk_q <= '0;
      a_vld_q      <= '0;
      a_keep_q     <= 1'b0;
      a_m0_q       <= '0;
      a_k0_q       <= '0;
      cs_q         <= KIdle;
      cbank_q      <= 1'b0;
      t_q          <= '0;
      gi_q         <= '0;
      gc_q         <= '0;
      gdone_q      <= 1'b0;
      ps_q         <= PIdle;
      pidx_q       <= '0;
      crow_q       <= '0;
      job_cycles_q <= '0;
      job_busy_q   <= '0;
      job_rd_q     <= '0;
      job_wr_q     <= '0;
      job_dstall_q <= '0;
      job_cstall_q <= '0;
    end else if (soft_rst_i) begin
      state_q     <= CIdle;
      dcnt_q      <= '0;
      cq_pend_q   <= '0;
      job_cycles_q <= '0;
      job_busy_q   <= '0;
      job_rd_q     <= '0;
      job_wr_q     <= '0;
      job_dstall_q <= '0;
      job_cstall_q <= '0;
      cq_wr_q     <= '0;
      cq_rd_q     <= '0;
      job_err_q   <= 1'b0;
      ld_q        <= LIdle;
      cs_q        <= KIdle;
      ps_q        <= PIdle;
      bank_busy_q <= '0;
      bank_full_q <= '0;
      a_vld_q     <= '0;
    end else begin
      state_q   <= state_d;
      desc_q    <= desc_d;
      dcnt_q    <= dcnt_d;
      didx_q    <= didx_d;
      dfetch_q  <= dfetch_d;
      if (cqe_post) begin
        cq_macs_q[cq_wr_q] <= job_macs;
        cq_wr_q            <= cq_wr_q + 4'd1;
      end
      if (cqe_ack_i) cq_rd_q <= cq_rd_q + 4'd1;
      cq_pend_q <= cq_pend_q + 5'(cqe_post) - 5'(cqe_ack_i);
      status_q  <= status_d;
      detail_q  <= detail_d;
      job_err_q <= job_err_d;
      ld_q      <= ld_d;
      lm0_q     <= lm0_d;
      ln0_q     <= ln0_d;
      lk0_q     <= lk0_d;
      lidx_q    <= lidx_d;
      lbank_q   <= lbank_d;
      cs_q      <= cs_d;
      cbank_q   <= cbank_d;
      t_q       <= t_d;
      gi_q      <= gi_d;
      gc_q      <= gc_d;
      gdone_q   <= gdone_d;
      ps_q      <= ps_d;
      pidx_q    <= pidx_d;
      if (crow_load) crow_q <= post_row;

      // A bank is claimed by the loader, full when its last beat is in, and
      // free again when the compute engine is done with it.
      if (!run) begin
        bank_busy_q <= '0;
        bank_full_q <= '0;
        a_vld_q     <= '0;
      end else begin
        if (bank_claim) begin
          bank_busy_q[lbank_q]  <= 1'b1;
          bank_chunk_q[lbank_q] <= l_chunk;
          a_vld_q[lbank_q]      <= 1'b1;
          a_keep_q              <= a_keep;
          a_m0_q[lbank_q]       <= lm0_q;
          a_k0_q[lbank_q]       <= lk0_q;
        end
        if (bank_filled) bank_full_q[rd_tag.bank] <= 1'b1;
        if (bank_release) begin
          bank_busy_q[cbank_q] <= 1'b0;
          bank_full_q[cbank_q] <= 1'b0;
        end
      end

      // A job's counters start with its descriptor's fetch (the batch's, for
      // the first of a prefetched batch) and are cleared once its record is
      // issued.
      if (cqe_post) begin
        job_cycles_q <= '0;
        job_busy_q   <= '0;
        job_rd_q     <= '0;
        job_wr_q     <= '0;
        job_dstall_q <= '0;
        job_cstall_q <= '0;
      end else if (state_q != CIdle) begin
        job_cycles_q <= job_cycles_q + 64'd1;
        job_busy_q   <= job_busy_q + {63'd0, busy_cycle};
        job_rd_q     <= job_rd_q + (rd_beat_i ? 64'd64 : 64'd0);
        job_wr_q     <= job_wr_q + 64'(wr_bytes_i);
        job_dstall_q <= job_dstall_q + {31'd0, dma_stall_o};
        job_cstall_q <= job_cstall_q + {31'd0, compute_stall_o};
      end
    end
  end

  // The output shadow: written only by a capture.
  always_ff @(posedge clk_i) begin
    if (capture) begin
      if (gemv) begin
        acc_sh_q[0] <= gacc_q;  // one row: pmv_q is 1
      end else begin
        acc_sh_q <= acc;
      end
      bias_sh_q  <= BiasW'({spad_q[bias_line(cbank_q) + 1'b1], spad_q[bias_line(cbank_q)]});
      quant_sh_q <= QuantW'({spad_q[quant_line(cbank_q) + LineW'(3)], spad_q[quant_line(cbank_q) + LineW'(2)],
                             spad_q[quant_line(cbank_q) + 1'b1], spad_q[quant_line(cbank_q)]});
      pm0_q      <= c_chunk.m0;
      pn0_q      <= c_chunk.n0;
      pmv_q      <= c_chunk.mv;
      pnv_q      <= c_chunk.nv;
    end
  end

  // ---------------------------------------------------------------------
  // Status
  // ---------------------------------------------------------------------
  logic busy_cycle;
  assign busy_cycle = cs_q == KRun;

  assign busy_o  = state_q != CIdle && state_q != CHalt;
  assign idle_o  = (state_q == CIdle && !start) || state_q == CHalt ||
                   (state_q == CCqeWait && cq_full);
  assign macs_o  = cq_macs_q[cq_rd_q];  // of the record acknowledged now
  // The array waits for data: no full bank while loads are still due.
  assign dma_stall_o     = run && cs_q == KIdle && !bank_full_q[cbank_q] && ld_q != LDone;
  // The DMA waits for the array: the next bank is still in use, or the
  // accumulators cannot be copied out because the stores are behind.
  assign compute_stall_o = run && ((ld_q == LWait && bank_busy_q[lbank_q]) ||
                                   (cs_q == KCapture && post_busy));

endmodule
