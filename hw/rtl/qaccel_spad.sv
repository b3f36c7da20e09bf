// SPDX-License-Identifier: MIT
//
// Scratchpad: Banks banks (qaccel_top) of operand lines and their hand-over
// between the loader and the compute engine.
//
// 64-byte lines.  A bank holds the A area (ALines), the B area (BLines),
// the bias line(s) and the per-channel record line(s) of one chunk (sizes
// from qaccel_top); bank b + 1 follows bank b, and four spare lines at the end
// take the second line of a write that straddles a line and the
// fixed-width bias and quant reads.  This block places the areas and tells
// the loader (write destinations) and the compute engine (read addresses)
// where each area of each bank starts.
//
// Writes: every DMA read beat of an operand lands here, its bytes
// [dest + pos, dest + pos + cnt) merged into at most two lines.  Reads:
// BytePorts single bytes (the array's skewed edges) and LinePorts whole
// lines (GEMV) per cycle, combinational; bias and quant lines of one bank
// for the post engine's capture.
//
// Bank hand-over (valid/ready): the loader claims a free bank (claim_ready_o
// is "not busy"), the DMA fills it, its last beat marks it full, the compute
// engine releases it after streaming it.  What must stay true (asserted):
// only a free bank is claimed, only a claimed bank is written or filled,
// only a full bank is released, and a full bank is not written again.
// clear_i (no job running, or soft reset) frees every bank.

module qaccel_spad
  import qaccel_pkg::*;
#(
  parameter int unsigned Cols      = 4,
  parameter int unsigned DestW     = 21,
  parameter int unsigned BytePorts = 8,
  parameter int unsigned LinePorts = 1,
  // Layout (qaccel_top derives it): lines of each area of a bank.
  parameter int unsigned ALines     = 1,
  parameter int unsigned BLines     = 1,
  parameter int unsigned BiasLines  = 1,
  parameter int unsigned QuantLines = 1,
  parameter int unsigned LineW      = 4,
  parameter int unsigned Banks      = MaxBanks
) (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  input  logic                                clear_i,

  // Layout: byte address of each area of bank b at index b.
  output logic [MaxBanks-1:0][DestW-1:0]         a_base_o,
  output logic [MaxBanks-1:0][DestW-1:0]         b_base_o,
  output logic [MaxBanks-1:0][DestW-1:0]         bias_base_o,
  output logic [MaxBanks-1:0][DestW-1:0]         quant_base_o,

  // DMA read beats of operands (fill_last_i: the bank's last range).
  input  logic                                wr_valid_i,
  input  logic [BankW-1:0]                    wr_bank_i,
  input  logic                                wr_bank_last_i,
  input  logic [DestW-1:0]                    wr_dest_i,
  input  logic [15:0]                         wr_pos_i,
  input  logic [6:0]                          wr_cnt_i,
  input  logic                                wr_last_i,
  input  logic [511:0]                        wr_data_i,

  // Loader: claim a bank for a chunk.
  input  logic                                claim_valid_i,
  output logic                                claim_ready_o,
  input  logic [BankW-1:0]                    claim_bank_i,
  input  chunk_t                              claim_chunk_i,

  // Compute engine: the bank state, and the release of a streamed bank.
  output logic [MaxBanks-1:0]                    busy_o,
  output logic [MaxBanks-1:0]                    full_o,
  output chunk_t [MaxBanks-1:0]                  chunk_o,
  input  logic                                release_i,
  input  logic [BankW-1:0]                    release_bank_i,

  // Compute engine reads.
  input  logic [BytePorts-1:0][DestW-1:0]     byte_addr_i,
  output logic [BytePorts-1:0][7:0]           byte_o,
  input  logic [LinePorts-1:0][LineW-1:0]     line_addr_i,
  output logic [LinePorts-1:0][511:0]         line_o,

  // Bank cap_bank_i's bias and quant lines (kept by qaccel_top when a tile ends).
  input  logic [BankW-1:0]                    cap_bank_i,
  output logic [Cols-1:0][31:0]               bias_o,
  output logic [Cols-1:0][63:0]               quant_o
);

  localparam int unsigned BankLines = ALines + BLines + BiasLines + QuantLines;
  localparam int unsigned SpadLines = Banks * BankLines + 4;
  localparam int unsigned WordW     = LineW + 4;  // word address: {line, word of the line}

  if (LineW != $clog2(SpadLines + 1) || BiasLines * 16 < Cols || QuantLines * 8 < Cols) begin : g_bad
    $error("qaccel_spad: layout parameters do not fit Cols");
  end

  // Bases of banks past Banks are never used (job_t.last_bank < Banks).
  for (genvar b = 0; b < MaxBanks; b++) begin : g_layout
    assign a_base_o[b]     = DestW'((b * BankLines) * 64);
    assign b_base_o[b]     = DestW'((b * BankLines + ALines) * 64);
    assign bias_base_o[b]  = DestW'((b * BankLines + ALines + BLines) * 64);
    assign quant_base_o[b] = DestW'((b * BankLines + ALines + BLines + BiasLines) * 64);
  end

  // ---------------------------------------------------------------------
  // Storage: 32-bit words, line l is words 16 * l .. 16 * l + 15.  Every
  // read port takes words (a byte port one word), so a simulator never
  // copies a whole line to read one byte.
  // ---------------------------------------------------------------------
  logic [31:0] spad_q [SpadLines * 16];

  // A beat's bytes straddle at most two lines: merge into both, write both.
  // The merge is computed in the write's clock edge only, so the beat's
  // data (from the memory's R channel) feeds no logic outside it.
  logic [DestW-1:0] wr_byte;
  logic [LineW-1:0] wr_line;

  assign wr_byte = wr_dest_i + DestW'(wr_pos_i);
  assign wr_line = LineW'(wr_byte >> 6);

  // No reset: nothing reads a byte before a load writes it.
  always_ff @(posedge clk_i) begin
    if (wr_valid_i) begin
      logic [1023:0] ones, mask, data;
      ones = {512'd0, {512{1'b1}} >> {7'd64 - wr_cnt_i, 3'd0}};
      mask = ones << {wr_byte[5:0], 3'd0};
      data = {512'd0, wr_data_i} << {wr_byte[5:0], 3'd0};
      for (int w = 0; w < 32; w++) begin
        spad_q[{wr_line, 4'd0} + WordW'(w)] <=
            (spad_q[{wr_line, 4'd0} + WordW'(w)] & ~mask[w * 32 +: 32]) |
            (data[w * 32 +: 32] & mask[w * 32 +: 32]);
      end
    end
  end

  always_comb begin
    for (int p = 0; p < BytePorts; p++) begin
      byte_o[p] = spad_q[WordW'(byte_addr_i[p] >> 2)][byte_addr_i[p][1:0] * 8 +: 8];
    end
    for (int p = 0; p < LinePorts; p++) begin
      for (int w = 0; w < 16; w++) begin
        line_o[p][w * 32 +: 32] = spad_q[{line_addr_i[p], 4'(w)}];
      end
    end
  end

  logic [LineW-1:0] bias_line, quant_line;
  assign bias_line  = LineW'(bias_base_o[cap_bank_i] >> 6);
  assign quant_line = LineW'(quant_base_o[cap_bank_i] >> 6);
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      bias_o[c]  = spad_q[{bias_line, 4'd0} + WordW'(c)];
      quant_o[c] = {spad_q[{quant_line, 4'd0} + WordW'(2 * c + 1)],
                    spad_q[{quant_line, 4'd0} + WordW'(2 * c)]};
    end
  end

  // ---------------------------------------------------------------------
  // Banks: claimed by the loader (busy), full when the last beat of its
  // last range is in, free again when the compute engine releases it.
  // Every field resets to zero, by reset and by clear_i alike.
  // ---------------------------------------------------------------------
  typedef struct packed {
    logic [MaxBanks-1:0]   busy;
    logic [MaxBanks-1:0]   full;
    chunk_t [MaxBanks-1:0] chunk;
  } bank_regs_t;

  bank_regs_t bank_q, bank_d;
  logic       filled;

  assign filled        = wr_valid_i && wr_bank_last_i && wr_last_i;
  assign claim_ready_o = !bank_q.busy[claim_bank_i];

  always_comb begin
    bank_d = bank_q;
    if (claim_valid_i && claim_ready_o) begin
      bank_d.busy[claim_bank_i]  = 1'b1;
      bank_d.chunk[claim_bank_i] = claim_chunk_i;
    end
    if (filled) bank_d.full[wr_bank_i] = 1'b1;
    if (release_i) begin
      bank_d.busy[release_bank_i] = 1'b0;
      bank_d.full[release_bank_i] = 1'b0;
    end
    if (clear_i) bank_d = '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) bank_q <= '0;
    else         bank_q <= bank_d;
  end

  assign busy_o  = bank_q.busy;
  assign full_o  = bank_q.full;
  assign chunk_o = bank_q.chunk;

  // ---------------------------------------------------------------------
  // Assertions (compiled in with verilator --assert)
  // ---------------------------------------------------------------------
`ifndef SYNTHESIS
  always_ff @(posedge clk_i) begin
    if (rst_ni && !clear_i) begin
      // The loader claims only a free bank (it waits on claim_ready_o).
      assert (!(claim_valid_i && claim_ready_o) || !bank_q.busy[claim_bank_i])
        else $error("qaccel_spad: bank %0d claimed while busy", claim_bank_i);
      // Beats land only in a bank being loaded: claimed, not yet full.
      assert (!wr_valid_i || (bank_q.busy[wr_bank_i] && !bank_q.full[wr_bank_i]))
        else $error("qaccel_spad: beat for bank %0d, busy %b full %b", wr_bank_i,
                    bank_q.busy, bank_q.full);
      // A beat never reaches past the spare lines.
      assert (!wr_valid_i || 32'(wr_line) + 1 < SpadLines)
        else $error("qaccel_spad: write at line %0d of %0d", wr_line, SpadLines);
      // Only a full bank (all beats in) is released by the compute engine.
      assert (!release_i || bank_q.full[release_bank_i])
        else $error("qaccel_spad: bank %0d released before it was full", release_bank_i);
    end
  end
`endif

endmodule
