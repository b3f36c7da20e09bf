// SPDX-License-Identifier: MIT
//
// Post engine: turns a captured tile of accumulators into C rows and issues
// their DMA writes.
//
// A capture (cap_valid_i && cap_ready_o, from qaccel_compute) copies the
// accumulators, the tile's bias and per-channel records (from the bank the
// compute engine just streamed) and the tile's position into shadow
// registers, so the array goes on with the next tile at once; in GEMV
// mode the adder trees' sums (cap_gacc_i) are the tile's row 0.  The
// accumulators arrive as an unpacked array of words and are read back one
// row at a time: a simulator copies them only on a capture.  Then row by
// row: qaccel_post computes the row's bytes into crow (PRow), and the row's
// write is requested (PWrite) until the DMA takes it.  Writes go only while
// the DMA has room for one (wr_room_i), so that the C stores cannot fill
// the memory's request slots that the operand reads need.
//
// Paired rows (Pair, arrays of PairMinPes PEs or more): there each C row write
// holds a memory request slot for a whole latency, and a 32x32 tile's 32
// rows of 128 bytes took more slot time than the tile's compute (256^3:
// 46.6 % utilization).  So a full-width tile with a right neighbour in the
// same row of tiles is held (PHold) until that neighbour is captured into
// the second shadow, and row r of both goes out as one write of twice the
// bytes (contiguous in C): half the bursts.  The neighbour always comes
// next (n inner), so the hold always ends.
//
// A per-channel record the family cannot use (a shift out of range, a bad
// FP32 scale) fails the job (bad_o, in PRow, before any row of the tile, or
// of its pair, is written).  What must stay true: a capture is taken only
// while idle or holding, and a tile's rows are written in order, each once.

module qaccel_post_eng
  import qaccel_pkg::*;
#(
  parameter int unsigned Rows    = 4,
  parameter int unsigned Cols    = 4,
  parameter int unsigned WrBytes = 64,  // widest write: a row, or a pair's with Pair
  parameter bit          Pair    = 1'b0
) (
  input  logic                            clk_i,
  input  logic                            rst_ni,
  input  logic                            clear_i,   // soft reset

  input  logic                            run_i,
  input  job_t                            job_i,

  // Capture.
  input  logic                            cap_valid_i,
  output logic                            cap_ready_o,
  input  logic [31:0]                     cap_acc_i [Rows][Cols],
  input  logic [Cols-1:0][31:0]           cap_gacc_i,
  input  chunk_t                          cap_chunk_i,
  input  logic [Cols-1:0][31:0]           cap_bias_i,
  input  logic [Cols-1:0][63:0]           cap_quant_i,

  // DMA writes of C rows.
  input  logic                            wr_room_i,
  output logic                            req_valid_o,
  input  logic                            req_ready_i,
  output dma_req_t                        req_o,
  output logic [WrBytes*8-1:0]            req_wdata_o,

  output logic                            busy_o,
  output logic                            bad_o      // a per-channel record out of range
);

  localparam int unsigned Shadows  = Pair ? 2 : 1;
  localparam int unsigned RowBytes = Pair ? WrBytes / 2 : WrBytes;
  localparam int unsigned WrBits   = WrBytes * 8;

  typedef enum logic [1:0] {
    PIdle,      // zero: the reset state
    PHold,      // a tile in shadow 0 waits for its neighbour (Pair)
    PRow,       // one C row of one shadow through the output stage
    PWrite      // the row's (or pair's) write request
  } post_state_e;

  // Every field resets to zero, by reset and soft reset alike.
  typedef struct packed {
    post_state_e          st;
    logic [5:0]           idx;   // row of the tile
    logic                 half;  // PRow: the shadow whose row is computed
    logic                 pair;  // rows of both shadows go out together
  } post_regs_t;

  post_regs_t q, d;
  // The row's (or pair's) bytes: datapath, written in PRow and read only in
  // the PWrite after it (no reset).  Kept out of post_regs_t, whose
  // next-state logic depends on the DMA's handshake and so on top-level
  // inputs: a simulator would copy the row twice per cycle.
  logic [WrBytes*8-1:0] crow_q;

  // The shadows: datapath, written only by a capture (no reset).
  logic [31:0]                     acc_q [Shadows][Rows][Cols];
  logic [Cols-1:0][31:0]           gacc_q;
  logic                            gemv_q;
  logic [Cols-1:0][31:0]           bias_q [Shadows];
  logic [Cols-1:0][63:0]           quant_q [Shadows];
  chunk_t                          tile_q [Shadows];
  logic                            capture, cap_slot, cap_hold;
  logic                            h;     // the shadow of the row in PRow

  assign cap_ready_o = q.st == PIdle || (Pair && q.st == PHold);
  assign capture     = cap_valid_i && cap_ready_o;
  assign cap_slot    = Pair && q.st == PHold;
  // A full-width tile with a right neighbour in its row of tiles waits for it.
  assign cap_hold    = Pair && !job_i.gemv && cap_chunk_i.nv == 6'(Cols) &&
                       32'(cap_chunk_i.n0) + 32'(Cols) < job_i.n;
  assign h           = Pair ? q.half : 1'b0;  // a constant index without pairs

  always_ff @(posedge clk_i) begin
    if (capture) begin
      acc_q[cap_slot]   <= cap_acc_i;
      bias_q[cap_slot]  <= cap_bias_i;
      quant_q[cap_slot] <= cap_quant_i;
      tile_q[cap_slot]  <= cap_chunk_i;
      gacc_q  <= cap_gacc_i;
      gemv_q  <= job_i.gemv;
    end
  end

  // Every per-channel record of the tile must suit the job's family (read
  // in PRow only; behind that condition a simulator skips the Cols checks
  // in every other cycle).
  logic quant_ok;
  always_comb begin
    quant_ok = 1'b1;
    if (q.st == PRow && job_i.per_channel) begin
      for (int c = 0; c < Cols; c++) begin
        if (6'(c) < tile_q[h].nv &&
            !rq_param_ok(job_i.rq, quant_q[h][c][31:23], quant_q[h][c][63:32])) begin
          quant_ok = 1'b0;
        end
      end
    end
  end

  // The row being computed: the GEMV sums, or row idx of the accumulators.
  logic [Cols-1:0][31:0] acc_row;
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      acc_row[c] = gemv_q && q.idx == '0 ? gacc_q[c] : acc_q[h][q.idx[$clog2(Rows)-1:0]][c];
    end
  end

  logic [RowBytes*8-1:0] row;
  logic                  c_is_i32;
  logic [WrBytes*8-1:0]  row_at;  // row, at its place in the write
  assign c_is_i32 = job_i.out_type == OutInt32;
  // The shift behind its condition: a simulator pays for it only in the
  // cycle a pair's second row is computed.
  always_comb begin
    if (Pair && q.half) begin
      row_at = c_is_i32 ? WrBits'(row) << (Cols * 32) : WrBits'(row) << (Cols * 8);
    end else begin
      row_at = WrBits'(row);
    end
  end

  qaccel_post #(.Cols(Cols), .WrBytes(RowBytes)) u_post (
    .en_i          (q.st == PRow),
    .acc_i         (acc_row),
    .bias_i        (bias_q[h]),
    .quant_i       (quant_q[h]),
    .bias_en_i     (job_i.bias_en),
    .per_channel_i (job_i.per_channel),
    .out_type_i    (job_i.out_type),
    .rq_i          (job_i.rq),
    .mult_i        (job_i.out_mult),
    .shift_i       (job_i.out_shift),
    .zp_i          (job_i.c_zp),
    .min_i         (job_i.clamp_min),
    .max_i         (job_i.clamp_max),
    .row_o         (row)
  );

  logic grant;
  // Writes only while the job runs (the sequencer then waits for them).
  assign req_valid_o = run_i && q.st == PWrite && wr_room_i;
  assign grant       = req_valid_o && req_ready_i;

  always_comb begin
    d     = q;
    bad_o = 1'b0;
    unique case (q.st)
      PIdle: begin
        if (capture) begin
          d.idx  = '0;
          d.half = 1'b0;
          d.pair = 1'b0;
          d.st   = cap_hold ? PHold : PRow;
        end
      end
      PHold: begin
        if (capture) begin
          d.pair = 1'b1;
          d.st   = PRow;
        end
      end
      PRow: begin
        if (!quant_ok) begin
          bad_o = 1'b1;
        end else begin
          d.half = q.pair && !q.half;
          d.st   = q.pair && !q.half ? PRow : PWrite;
        end
      end
      PWrite: begin
        if (grant) begin
          d.idx = q.idx + 6'd1;
          d.st  = q.idx + 6'd1 >= tile_q[0].mv ? PIdle : PRow;
        end
      end
      default: d.st = PIdle;
    endcase
    if (!run_i) d.st = PIdle;
    if (clear_i) d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) q <= '0;
    else         q <= d;
  end

  always_ff @(posedge clk_i) begin
    if (q.st == PRow && quant_ok) crow_q <= Pair && q.half ? crow_q | row_at : row_at;
  end

  logic [6:0] nv;  // columns of the write
  assign nv = 7'(tile_q[0].nv) + (q.pair ? 7'(tile_q[Shadows-1].nv) : 7'd0);

  always_comb begin
    req_o        = '0;
    req_o.write  = 1'b1;
    req_o.stream = 3'(DetailC - 1);
    req_o.ptable = job_i.c.ptable;
    req_o.size   = job_i.c.size;
    req_o.row    = tile_q[0].m0 + 17'(q.idx);
    req_o.stride = job_i.ldc;
    req_o.x      = 64'(job_i.c.offset) +
                   (c_is_i32 ? {45'd0, tile_q[0].n0, 2'd0} : 64'(tile_q[0].n0));
    req_o.len    = c_is_i32 ? {7'd0, nv, 2'd0} : {9'd0, nv};
  end
  assign req_wdata_o = crow_q;
  assign busy_o      = q.st != PIdle;

  logic unused_tile;
  always_comb begin
    unused_tile = 1'b0;
    for (int s = 0; s < Shadows; s++) unused_tile ^= ^{tile_q[s].kl, tile_q[s].last};
    if (Shadows > 1) unused_tile ^= ^{tile_q[Shadows-1].m0, tile_q[Shadows-1].n0};
  end

`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni && !clear_i && run_i) begin
      // A tile's rows are all inside the shadow.
      assert (q.st == PIdle || q.st == PHold ||
              (tile_q[0].mv != 0 && 32'(q.idx) < 32'(tile_q[0].mv) &&
               32'(tile_q[0].mv) <= Rows))
        else $error("qaccel_post_eng: row %0d of a %0d-row tile", q.idx, tile_q[0].mv);
      // A pair is two neighbours of one row of tiles.
      assert (!(Pair && capture && q.st == PHold) ||
              (cap_chunk_i.m0 == tile_q[0].m0 && cap_chunk_i.mv == tile_q[0].mv &&
               32'(cap_chunk_i.n0) == 32'(tile_q[0].n0) + Cols))
        else $error("qaccel_post_eng: tile at n0 %0d is not the neighbour of %0d",
                    cap_chunk_i.n0, tile_q[0].n0);
    end
  end
`endif

endmodule
