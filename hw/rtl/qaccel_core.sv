// SPDX-License-Identifier: MIT
//
// Command processor and GEMM sequencer.
//
// Takes descriptors from the submission ring, validates them, runs a whole
// GEMM by tiling it over the array, and writes the completion record.  The
// loop nest, per job (one tile of C is Rows x Cols):
//
//   for n0 in 0..N step Cols          load bias[n0..] and quant[n0..] if used
//     for m0 in 0..M step Rows        clear the accumulators
//       for k0 in 0..K step 64        load A[m0.., k0..k0+63], B[n0.., k0..]
//                                     stream the chunk through the array
//       for each row of the tile      bias, requantize, write the C row
//
// Scratchpads hold one 64-byte K chunk per array row (A) and per array
// column (B).  Loads, compute and stores follow each other; the DMA keeps up
// to 16 reads and 16 writes in flight, and the stores of one tile drain while
// the next tile loads.  Double buffering is left to a later
// revision (see docs/hw-architecture.md).
//
// Any DMA error fails the job: the sequencer stops issuing, waits for the
// beats in flight, and completes the job with the error; a ring access error
// is fatal instead.

module qaccel_core
  import qaccel_pkg::*;
#(
  parameter int unsigned Rows    = 4,
  parameter int unsigned Cols    = 4,
  parameter int unsigned WrBytes = 64
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
  output logic [2:0]           req_stream_o,
  output logic [63:0]          req_table_o,
  output logic [31:0]          req_size_o,
  output logic [63:0]          req_x_o,
  output logic [8:0]           req_len_o,
  output logic [7:0]           req_tag_o,
  output logic [WrBytes*8-1:0] req_wdata_o,
  input  logic                 rd_valid_i,
  input  logic [7:0]           rd_tag_i,
  input  logic [511:0]         rd_data_i,
  input  logic signed [9:0]    rd_lo_i,
  input  logic [8:0]           rd_len_i,
  input  logic                 err_valid_i,
  input  logic                 err_bounds_i,
  input  logic                 err_phys_i,
  input  logic [2:0]           err_stream_i,
  input  logic                 dma_idle_i,
  input  logic                 dma_rd_idle_i,
  input  logic                 rd_beat_i,
  input  logic [6:0]           wr_bytes_i
);

  localparam int unsigned KChunk = 64;
  localparam int unsigned WrBits = WrBytes * 8;

  // Operand streams: DMA translation cache slots and err_detail - 1.
  localparam logic [2:0] StreamA     = 3'd0;
  localparam logic [2:0] StreamB     = 3'd1;
  localparam logic [2:0] StreamC     = 3'd2;
  localparam logic [2:0] StreamBias  = 3'd3;
  localparam logic [2:0] StreamQuant = 3'd4;

  // Read tags: {kind, index}.
  localparam logic [2:0] TagDesc  = 3'd0;
  localparam logic [2:0] TagA     = 3'd1;
  localparam logic [2:0] TagB     = 3'd2;
  localparam logic [2:0] TagBias  = 3'd3;
  localparam logic [2:0] TagQuant = 3'd4;

  typedef enum logic [4:0] {
    CIdle,      // wait for a descriptor
    CFetch,     // descriptor beats in flight
    CDecode,    // validate
    CReqBias,   // column tile start: bias[n0..]
    CReqQuant,  //                    quant[n0..]
    CWaitBq,
    CTileM,     // C tile start
    CLoadA,
    CLoadB,
    CLoadWait,
    CCompute,
    CPost,      // one C row through the output stage
    CWrite,
    CDrain,     // last writes acknowledged
    CAbort,     // failed job: let the beats in flight land
    CCqeWait,   // completion ring full
    CCqe,
    CCqeDone,
    CHalt       // fatal: until reset
  } core_state_e;

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
  // Loop state
  // ---------------------------------------------------------------------
  logic [16:0] m0_q, n0_q, k0_q;
  logic [5:0]  idx_q;   // row of a load or write
  logic [7:0]  t_q;     // compute step
  logic [31:0] mv, nv, kl;  // valid rows, columns, K bytes of this tile

  assign mv = (dim_m - 32'(m0_q)) < Rows ? dim_m - 32'(m0_q) : Rows;
  assign nv = (dim_n - 32'(n0_q)) < Cols ? dim_n - 32'(n0_q) : Cols;
  assign kl = (dim_k - 32'(k0_q)) < KChunk ? dim_k - 32'(k0_q) : KChunk;

  logic last_m_tile, last_n_tile, last_k_chunk;
  assign last_m_tile  = 32'(m0_q) + Rows >= dim_m;
  assign last_n_tile  = 32'(n0_q) + Cols >= dim_n;
  assign last_k_chunk = 32'(k0_q) + KChunk >= dim_k;

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

  // ---------------------------------------------------------------------
  // Scratchpads
  // ---------------------------------------------------------------------
  logic [Rows-1:0][511:0]    a_spad_q, a_spad_d;
  logic [Cols-1:0][511:0]    b_spad_q, b_spad_d;
  logic [Cols-1:0][31:0]     bias_spad_q, bias_spad_d;
  logic [Cols-1:0][63:0]     quant_spad_q, quant_spad_d;

  // Byte j of a range lands from a beat that covers [lo, lo+64).
  function automatic logic beat_has(int j, logic signed [9:0] lo, logic [8:0] len);
    return j >= int'(lo) && j < int'(lo) + 64 && j < int'(len);
  endfunction

  function automatic logic [511:0] merge64(logic [511:0] old, logic [511:0] beat,
                                           logic signed [9:0] lo, logic [8:0] len);
    logic [511:0] r;
    r = old;
    for (int j = 0; j < 64; j++) begin
      if (beat_has(j, lo, len)) r[j*8 +: 8] = beat[j*8 +: 8];
    end
    return r;
  endfunction

  logic [2:0] rd_kind;
  logic [4:0] rd_idx;
  assign rd_kind = rd_tag_i[7:5];
  assign rd_idx  = rd_tag_i[4:0];

  always_comb begin
    desc_d       = desc_q;
    a_spad_d     = a_spad_q;
    b_spad_d     = b_spad_q;
    bias_spad_d  = bias_spad_q;
    quant_spad_d = quant_spad_q;
    if (rd_valid_i) begin
      unique case (rd_kind)
        TagDesc: begin
          for (int j = 0; j < DescBytes; j++) begin
            if (beat_has(j, rd_lo_i, rd_len_i)) desc_d[j*8 +: 8] = rd_data_i[(j%64)*8 +: 8];
          end
        end
        TagA: begin
          if (32'(rd_idx) < Rows) a_spad_d[rd_idx] = merge64(a_spad_q[rd_idx], rd_data_i, rd_lo_i, rd_len_i);
        end
        TagB: begin
          if (32'(rd_idx) < Cols) b_spad_d[rd_idx] = merge64(b_spad_q[rd_idx], rd_data_i, rd_lo_i, rd_len_i);
        end
        TagBias: begin
          for (int j = 0; j < Cols * 4; j++) begin
            if (beat_has(j, rd_lo_i, rd_len_i)) bias_spad_d[j/4][(j%4)*8 +: 8] = rd_data_i[(j%64)*8 +: 8];
          end
        end
        TagQuant: begin
          for (int j = 0; j < Cols * 8; j++) begin
            if (beat_has(j, rd_lo_i, rd_len_i)) quant_spad_d[j/8][(j%8)*8 +: 8] = rd_data_i[(j%64)*8 +: 8];
          end
        end
        default: ;
      endcase
    end
  end

  // Every per-channel shift of this column tile must be in range.
  logic quant_ok;
  always_comb begin
    quant_ok = 1'b1;
    for (int c = 0; c < Cols; c++) begin
      if (32'(c) < nv && per_channel &&
          ($signed(quant_spad_q[c][63:32]) < ShiftMin || $signed(quant_spad_q[c][63:32]) > ShiftMax)) begin
        quant_ok = 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------------
  // Array and its skewed edges
  // ---------------------------------------------------------------------
  logic                            array_clear;
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
  always_comb begin
    a_edge = '0;
    b_edge = '0;
    if (state_q == CCompute) begin
      for (int r = 0; r < Rows; r++) begin
        if (32'(t_q) >= 32'(r) && 32'(t_q) - 32'(r) < kl) begin
          a_edge[r] = operand(a_spad_q[r][(32'(t_q) - 32'(r)) * 8 +: 8], a_u8, a_zp[9:0]);
        end
      end
      for (int c = 0; c < Cols; c++) begin
        if (32'(t_q) >= 32'(c) && 32'(t_q) - 32'(c) < kl) begin
          b_edge[c] = operand(b_spad_q[c][(32'(t_q) - 32'(c)) * 8 +: 8], b_u8, b_zp[9:0]);
        end
      end
    end
  end

  qaccel_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i,
    .rst_ni,
    .clear_i (array_clear || soft_rst_i),
    .a_i     (a_edge),
    .b_i     (b_edge),
    .acc_o   (acc)
  );

  // ---------------------------------------------------------------------
  // Output stage
  // ---------------------------------------------------------------------
  logic [WrBytes*8-1:0] post_row, crow_q;

  qaccel_post #(.Cols(Cols), .WrBytes(WrBytes)) u_post (
    .acc_i         (acc[idx_q[$clog2(Rows)-1:0]]),
    .bias_i        (bias_spad_q),
    .quant_i       (quant_spad_q),
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

  // ---------------------------------------------------------------------
  // Completion record
  // ---------------------------------------------------------------------
  logic [47:0]  job_macs;
  logic [511:0] cqe;
  logic         cq_full;

  assign cq_full  = ((cq_tail_i + 12'd1) & cq_mask_i) == cq_head_i;
  assign job_macs = (status_q == ErrOk && opcode == OpGemm)
                  ? 48'(dim_m[15:0]) * 48'(dim_n[15:0]) * 48'(dim_k[15:0]) : 48'd0;

  always_comb begin
    cqe = '0;
    cqe[CqeTag*8 +: 32]                = d32(desc_q, DescTag);
    cqe[CqeStatus*8 +: 16]             = status_q;
    cqe[CqeInfo*8 + CqePhase]          = phase_i;
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
  // DMA requests
  // ---------------------------------------------------------------------
  logic [63:0] desc_addr, cqe_addr;
  logic        start;

  assign desc_addr = sq_base_i + {45'd0, sq_head_i, 7'd0};
  assign cqe_addr  = cq_base_i + {46'd0, cq_tail_i, 6'd0};
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

  always_comb begin
    req_valid_o  = 1'b0;
    req_write_o  = 1'b0;
    req_phys_o   = 1'b0;
    req_stream_o = StreamA;
    req_table_o  = '0;
    req_size_o   = '0;
    req_x_o      = '0;
    req_len_o    = '0;
    req_tag_o    = '0;
    req_wdata_o  = crow_q;
    row          = '0;
    stride       = '0;
    unique case (state_q)
      CIdle: begin
        req_valid_o = start;
        req_phys_o  = 1'b1;
        req_x_o     = desc_addr;
        req_len_o   = 9'(DescBytes);
        req_tag_o   = {TagDesc, 5'd0};
      end
      CReqBias: begin
        req_valid_o  = bias_en;
        req_stream_o = StreamBias;
        req_table_o  = buf_table(desc_q, DescBias);
        req_size_o   = buf_size(desc_q, DescBias);
        req_x_o      = 64'(buf_offset(desc_q, DescBias)) + {45'd0, n0_q, 2'd0};
        req_len_o    = 9'(nv * 4);
        req_tag_o    = {TagBias, 5'd0};
      end
      CReqQuant: begin
        req_valid_o  = per_channel;
        req_stream_o = StreamQuant;
        req_table_o  = buf_table(desc_q, DescQuant);
        req_size_o   = buf_size(desc_q, DescQuant);
        req_x_o      = 64'(buf_offset(desc_q, DescQuant)) + {44'd0, n0_q, 3'd0};
        req_len_o    = 9'(nv * 8);
        req_tag_o    = {TagQuant, 5'd0};
      end
      CLoadA: begin
        req_valid_o  = 1'b1;
        req_stream_o = StreamA;
        req_table_o  = buf_table(desc_q, DescA);
        req_size_o   = buf_size(desc_q, DescA);
        row          = m0_q + 17'(idx_q);
        stride       = lda;
        req_x_o      = 64'(buf_offset(desc_q, DescA)) + row_off + 64'(k0_q);
        req_len_o    = 9'(kl);
        req_tag_o    = {TagA, idx_q[4:0]};
      end
      CLoadB: begin
        req_valid_o  = 1'b1;
        req_stream_o = StreamB;
        req_table_o  = buf_table(desc_q, DescB);
        req_size_o   = buf_size(desc_q, DescB);
        row          = n0_q + 17'(idx_q);
        stride       = ldb;
        req_x_o      = 64'(buf_offset(desc_q, DescB)) + row_off + 64'(k0_q);
        req_len_o    = 9'(kl);
        req_tag_o    = {TagB, idx_q[4:0]};
      end
      CWrite: begin
        req_valid_o  = 1'b1;
        req_write_o  = 1'b1;
        req_stream_o = StreamC;
        req_table_o  = buf_table(desc_q, DescC);
        req_size_o   = buf_size(desc_q, DescC);
        row          = m0_q + 17'(idx_q);
        stride       = ldc;
        req_x_o      = 64'(buf_offset(desc_q, DescC)) + row_off +
                       (c_is_i32 ? {45'd0, n0_q, 2'd0} : 64'(n0_q));
        req_len_o    = 9'(c_is_i32 ? nv * 4 : nv);
      end
      CCqe: begin
        req_valid_o = 1'b1;
        req_write_o = 1'b1;
        req_phys_o  = 1'b1;
        req_x_o     = cqe_addr;
        req_len_o   = 9'(CqeBytes);
        req_wdata_o = WrBits'(cqe);
      end
      default: ;
    endcase
  end

  // ---------------------------------------------------------------------
  // Sequencer
  // ---------------------------------------------------------------------
  logic in_job;  // states in which an operand error aborts the job
  assign in_job = state_q inside {CReqBias, CReqQuant, CWaitBq, CTileM, CLoadA, CLoadB,
                                  CLoadWait, CCompute, CPost, CWrite, CDrain};

  logic [16:0] m0_d, n0_d, k0_d;
  logic [5:0]  idx_d;
  logic [7:0]  t_d;
  logic        crow_load;

  always_comb begin
    state_d      = state_q;
    m0_d         = m0_q;
    n0_d         = n0_q;
    k0_d         = k0_q;
    idx_d        = idx_q;
    t_d          = t_q;
    status_d     = status_q;
    detail_d     = detail_q;
    job_err_d    = job_err_q;
    array_clear  = 1'b0;
    crow_load    = 1'b0;
    tlb_flush_o  = 1'b0;
    job_done_o   = 1'b0;
    sq_advance_o = 1'b0;
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
        if (start && req_ready_i) state_d = CFetch;
      end
      CFetch: begin
        if (err_valid_i) begin
          fatal_set_o  = 1'b1;
          fatal_addr_o = desc_addr;
          state_d      = CHalt;
        end else if (dma_rd_idle_i) begin
          sq_advance_o = 1'b1;
          state_d      = CDecode;
        end
      end
      CDecode: begin
        status_d    = decode_status;
        detail_d    = '0;
        job_err_d   = 1'b0;
        tlb_flush_o = 1'b1;
        m0_d        = '0;
        n0_d        = '0;
        k0_d        = '0;
        state_d     = (decode_status == ErrOk && opcode == OpGemm) ? CReqBias : CCqeWait;
      end
      CReqBias: begin
        if (!bias_en || req_ready_i) state_d = CReqQuant;
      end
      CReqQuant: begin
        if (!per_channel || req_ready_i) state_d = CWaitBq;
      end
      CWaitBq: begin
        if (dma_rd_idle_i && !err_valid_i) begin
          if (!quant_ok) begin
            status_d = ErrBadParam;
            state_d  = CAbort;
          end else begin
            state_d = CTileM;
          end
        end
      end
      CTileM: begin
        array_clear = 1'b1;
        k0_d        = '0;
        idx_d       = '0;
        state_d     = CLoadA;
      end
      CLoadA: begin
        if (req_ready_i) begin
          idx_d = idx_q + 6'd1;
          if (32'(idx_q) + 1 >= mv) begin
            idx_d   = '0;
            state_d = CLoadB;
          end
        end
      end
      CLoadB: begin
        if (req_ready_i) begin
          idx_d = idx_q + 6'd1;
          if (32'(idx_q) + 1 >= nv) begin
            idx_d   = '0;
            state_d = CLoadWait;
          end
        end
      end
      CLoadWait: begin
        if (dma_rd_idle_i && !err_valid_i) begin
          t_d     = '0;
          state_d = CCompute;
        end
      end
      CCompute: begin
        t_d = t_q + 8'd1;
        if (32'(t_q) + 3 >= kl + Rows + Cols) begin
          if (last_k_chunk) begin
            idx_d   = '0;
            state_d = CPost;
          end else begin
            k0_d    = k0_q + 17'(KChunk);
            state_d = CLoadA;
          end
        end
      end
      CPost: begin
        crow_load = 1'b1;
        state_d   = CWrite;
      end
      CWrite: begin
        if (req_ready_i) begin
          idx_d   = idx_q + 6'd1;
          state_d = CPost;
          if (32'(idx_q) + 1 >= mv) begin
            idx_d = '0;
            if (!last_m_tile) begin
              m0_d    = m0_q + 17'(Rows);
              state_d = CTileM;
            end else if (!last_n_tile) begin
              m0_d    = '0;
              n0_d    = n0_q + 17'(Cols);
              state_d = CReqBias;
            end else begin
              state_d = CDrain;
            end
          end
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
        if (req_ready_i) state_d = CCqeDone;
      end
      CCqeDone: begin
        if (err_valid_i) begin
          fatal_set_o  = 1'b1;
          fatal_addr_o = cqe_addr;
          state_d      = CHalt;
        end else if (dma_idle_i) begin
          job_done_o = 1'b1;
          state_d    = CIdle;
        end
      end
      CHalt: ;
      default: state_d = CIdle;
    endcase

    // An operand error ends the job wherever the sequencer is.
    if (in_job && (job_err_q || dma_err_job)) state_d = CAbort;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= CIdle;
      desc_q       <= '0;
      m0_q         <= '0;
      n0_q         <= '0;
      k0_q         <= '0;
      idx_q        <= '0;
      t_q          <= '0;
      status_q     <= ErrOk;
      detail_q     <= '0;
      job_err_q    <= 1'b0;
      crow_q       <= '0;
      job_cycles_q <= '0;
      job_busy_q   <= '0;
      job_rd_q     <= '0;
      job_wr_q     <= '0;
      job_dstall_q <= '0;
      job_cstall_q <= '0;
    end else if (soft_rst_i) begin
      state_q      <= CIdle;
      job_err_q    <= 1'b0;
    end else begin
      state_q   <= state_d;
      desc_q    <= desc_d;
      m0_q      <= m0_d;
      n0_q      <= n0_d;
      k0_q      <= k0_d;
      idx_q     <= idx_d;
      t_q       <= t_d;
      status_q  <= status_d;
      detail_q  <= detail_d;
      job_err_q <= job_err_d;
      if (crow_load) crow_q <= post_row;

      if (state_q == CIdle) begin
        job_cycles_q <= '0;
        job_busy_q   <= '0;
        job_rd_q     <= '0;
        job_wr_q     <= '0;
        job_dstall_q <= '0;
        job_cstall_q <= '0;
      end else begin
        job_cycles_q <= job_cycles_q + 64'd1;
        job_busy_q   <= job_busy_q + {63'd0, compute_stall_o};
        job_rd_q     <= job_rd_q + (rd_beat_i ? 64'd64 : 64'd0);
        job_wr_q     <= job_wr_q + 64'(wr_bytes_i);
        job_dstall_q <= job_dstall_q + {31'd0, dma_stall_o};
        job_cstall_q <= job_cstall_q + {31'd0, compute_stall_o};
      end
    end
  end

  // Scratchpads need no reset: nothing reads a byte before a load writes it.
  always_ff @(posedge clk_i) begin
    a_spad_q     <= a_spad_d;
    b_spad_q     <= b_spad_d;
    bias_spad_q  <= bias_spad_d;
    quant_spad_q <= quant_spad_d;
  end

  // ---------------------------------------------------------------------
  // Status
  // ---------------------------------------------------------------------
  assign busy_o  = state_q != CIdle && state_q != CHalt;
  assign idle_o  = (state_q == CIdle && !start) || state_q == CHalt ||
                   (state_q == CCqeWait && cq_full);
  assign macs_o  = job_macs;
  // Loads, compute and stores are sequential: while the array computes the
  // DMA has nothing to do, and the other way round.
  assign compute_stall_o = state_q == CCompute;
  assign dma_stall_o     = in_job && state_q != CCompute;

endmodule
