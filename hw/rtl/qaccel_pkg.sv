// SPDX-License-Identifier: MIT
//
// qaccel hardware interface, SystemVerilog view.
//
// The twin of include/qaccel_hw.h: register offsets, bit fields, the
// submission descriptor and completion record layouts, and status codes.
// tests/hw/iface_check elaborates this package and proves both agree, so a
// change here needs the same change there.
//
// Descriptor and completion fields are given as byte offsets into the
// little-endian record; the DMA engine reads them from 512-bit beats.

package qaccel_pkg;

  // ---------------------------------------------------------------------
  // Identification
  // ---------------------------------------------------------------------
  localparam logic [31:0] IdMagic      = 32'h5141_4343;  // "QACC"
  localparam int unsigned VersionMajor = 0;
  localparam int unsigned VersionMinor = 1;
  localparam logic [31:0] Version      = (VersionMajor << 16) | VersionMinor;
  localparam int unsigned MaxDim       = 65535;
  localparam int unsigned MaxQueue     = 4096;

  // ---------------------------------------------------------------------
  // Registers (AXI4-Lite, 32-bit, byte offsets)
  // ---------------------------------------------------------------------
  localparam logic [11:0] RegId         = 12'h000;
  localparam logic [11:0] RegVersion    = 12'h004;
  localparam logic [11:0] RegCaps       = 12'h008;
  localparam logic [11:0] RegArray      = 12'h00c;
  localparam logic [11:0] RegMaxDim     = 12'h010;
  localparam logic [11:0] RegCtrl       = 12'h014;
  localparam logic [11:0] RegStatus     = 12'h018;
  localparam logic [11:0] RegSqBaseLo   = 12'h020;
  localparam logic [11:0] RegSqBaseHi   = 12'h024;
  localparam logic [11:0] RegCqBaseLo   = 12'h028;
  localparam logic [11:0] RegCqBaseHi   = 12'h02c;
  localparam logic [11:0] RegSqSize     = 12'h030;
  localparam logic [11:0] RegCqSize     = 12'h034;
  localparam logic [11:0] RegSqTail     = 12'h038;
  localparam logic [11:0] RegSqHead     = 12'h03c;
  localparam logic [11:0] RegCqHead     = 12'h040;
  localparam logic [11:0] RegCqTail     = 12'h044;
  localparam logic [11:0] RegIntStatus  = 12'h050;
  localparam logic [11:0] RegIntEnable  = 12'h054;
  localparam logic [11:0] RegErrCode    = 12'h060;
  localparam logic [11:0] RegErrAddrLo  = 12'h064;
  localparam logic [11:0] RegErrAddrHi  = 12'h068;
  localparam logic [11:0] RegCntCycles       = 12'h080;
  localparam logic [11:0] RegCntBusy         = 12'h088;
  localparam logic [11:0] RegCntMacs         = 12'h090;
  localparam logic [11:0] RegCntDmaRd        = 12'h098;
  localparam logic [11:0] RegCntDmaWr        = 12'h0a0;
  localparam logic [11:0] RegCntDmaStall     = 12'h0a8;
  localparam logic [11:0] RegCntComputeStall = 12'h0b0;
  localparam logic [11:0] RegCntJobs         = 12'h0b8;
  localparam logic [11:0] RegEnd             = 12'h0c0;

  localparam int unsigned CapGemmI32    = 0;  // bit positions
  localparam int unsigned CapRequant    = 1;
  localparam int unsigned CapPerChannel = 2;
  localparam int unsigned CapBias       = 3;
  localparam int unsigned CapUint8In    = 4;
  localparam int unsigned CapGemv       = 5;   // M x Cols < 64 jobs stream B at line rate
  localparam int unsigned CapRequantModes = 6; // flags bits 6..7 choose the requantization
  localparam int unsigned CapFunctional = 31;  // set only by sim's C model, never by RTL

  localparam int unsigned CtrlEnable = 0;
  localparam int unsigned CtrlReset  = 1;

  localparam int unsigned StatusEnabled = 0;
  localparam int unsigned StatusBusy    = 1;
  localparam int unsigned StatusFatal   = 2;
  localparam int unsigned StatusIdle    = 3;

  localparam int unsigned IntCq    = 0;
  localparam int unsigned IntFatal = 1;

  // ---------------------------------------------------------------------
  // Page tables (two levels, 4 KiB pages, 512 entries per table)
  // ---------------------------------------------------------------------
  localparam int unsigned PageShift  = 12;
  localparam int unsigned PtEntries  = 512;
  localparam int unsigned PtL1Shift  = 21;
  localparam int unsigned PteValid   = 0;  // bit position
  localparam int unsigned MaxBufSize = 1 << 30;

  // ---------------------------------------------------------------------
  // Submission descriptor: 128 bytes
  // ---------------------------------------------------------------------
  localparam int unsigned DescBytes = 128;

  localparam logic [7:0] OpNop  = 8'd0;
  localparam logic [7:0] OpGemm = 8'd1;

  localparam int unsigned FlagAUint8     = 0;  // bit positions
  localparam int unsigned FlagBUint8     = 1;
  localparam int unsigned FlagOutShift   = 2;  // two bits
  localparam int unsigned FlagBias       = 4;
  localparam int unsigned FlagPerChannel = 5;
  localparam int unsigned FlagRequant    = 6;  // two bits: rq_mode_e
  localparam logic [15:0] FlagsAll       = 16'h00ff;

  // Requantization family of an int8/uint8 output (docs/quantization.md).
  typedef enum logic [1:0] {
    RqGemmlowp = 2'd0,  // gemmlowp SRDHM, then RoundingDivideByPOT
    RqSingle   = 2'd1,  // one rounding: (acc * M + 2^(30-shift)) >> (31-shift)
    RqFp32     = 2'd2   // binary32 scale in out_multiplier, round half to even
  } rq_mode_e;

  typedef enum logic [1:0] {
    OutInt32 = 2'd0,
    OutInt8  = 2'd1,
    OutUint8 = 2'd2
  } out_type_e;

  // Byte offsets of the descriptor fields.
  localparam int unsigned DescOpcode        = 'h00;
  localparam int unsigned DescReserved0     = 'h01;
  localparam int unsigned DescFlags         = 'h02;
  localparam int unsigned DescTag           = 'h04;
  localparam int unsigned DescM             = 'h08;
  localparam int unsigned DescN             = 'h0c;
  localparam int unsigned DescK             = 'h10;
  localparam int unsigned DescLda           = 'h14;
  localparam int unsigned DescLdb           = 'h18;
  localparam int unsigned DescLdc           = 'h1c;
  localparam int unsigned DescA             = 'h20;
  localparam int unsigned DescB             = 'h30;
  localparam int unsigned DescC             = 'h40;
  localparam int unsigned DescBias          = 'h50;
  localparam int unsigned DescQuant         = 'h60;
  localparam int unsigned DescOutMultiplier = 'h70;
  localparam int unsigned DescOutShift      = 'h74;
  localparam int unsigned DescReserved1     = 'h75;
  localparam int unsigned DescAZeroPoint    = 'h76;
  localparam int unsigned DescBZeroPoint    = 'h78;
  localparam int unsigned DescCZeroPoint    = 'h7a;
  localparam int unsigned DescClampMin      = 'h7c;
  localparam int unsigned DescClampMax      = 'h7e;

  // Within a 16-byte buffer reference.
  localparam int unsigned BufTable  = 'h0;
  localparam int unsigned BufOffset = 'h8;
  localparam int unsigned BufSize   = 'hc;
  localparam int unsigned BufBytes  = 16;

  localparam int unsigned QuantBytes = 8;  // {int32 multiplier, int32 shift}
  localparam int ShiftMin = -31;
  localparam int ShiftMax = 30;

  // ---------------------------------------------------------------------
  // Completion record: 64 bytes
  // ---------------------------------------------------------------------
  localparam int unsigned CqeBytes              = 64;
  localparam int unsigned CqeTag                = 'h00;
  localparam int unsigned CqeStatus             = 'h04;
  localparam int unsigned CqeInfo               = 'h06;
  localparam int unsigned CqeSqHead             = 'h08;
  localparam int unsigned CqeErrDetail          = 'h0c;
  localparam int unsigned CqeCycles             = 'h10;
  localparam int unsigned CqeBusyCycles         = 'h18;
  localparam int unsigned CqeMacs               = 'h20;
  localparam int unsigned CqeDmaRdBytes         = 'h28;
  localparam int unsigned CqeDmaWrBytes         = 'h30;
  localparam int unsigned CqeDmaStallCycles     = 'h38;
  localparam int unsigned CqeComputeStallCycles = 'h3c;
  localparam int unsigned CqePhase              = 0;  // bit of info

  typedef enum logic [15:0] {
    ErrOk          = 16'd0,
    ErrBadOpcode   = 16'd1,
    ErrBadDim      = 16'd2,
    ErrBadFlags    = 16'd3,
    ErrUnsupported = 16'd4,
    ErrBadParam    = 16'd5,
    ErrDmaBounds   = 16'd6,
    ErrDmaFault    = 16'd7,
    ErrRingFault   = 16'd8,
    ErrBadQueue    = 16'd9
  } err_e;

  localparam logic [31:0] DetailA     = 32'd1;
  localparam logic [31:0] DetailB     = 32'd2;
  localparam logic [31:0] DetailC     = 32'd3;
  localparam logic [31:0] DetailBias  = 32'd4;
  localparam logic [31:0] DetailQuant = 32'd5;

  // ---------------------------------------------------------------------
  // AXI4 master
  // ---------------------------------------------------------------------
  localparam int unsigned AxiDataBytes = 64;
  localparam int unsigned AxiDataBits  = AxiDataBytes * 8;
  localparam int unsigned AxiAddrBits  = 64;
  localparam int unsigned AxiIdBits    = 4;
  localparam int unsigned AxiMaxBurst  = 64;

  // ---------------------------------------------------------------------
  // Microarchitecture: the block parameters software depends on.  The
  // functional model (sim/qsim_func.c) reproduces the requests, tiles and
  // translation misses these fix, so they live here and in qaccel_hw.h,
  // compared by iface_check, never copied by hand.
  // ---------------------------------------------------------------------
  localparam int unsigned KChunk       = 512;   // bytes of K per scratchpad bank (multiple of 64)
  // Scratchpad banks, used in turn: while the array streams one, the loader
  // fills the others, so a load has Banks - 1 chunks' time to arrive.
  // A tiled job whose K is two chunks uses two banks (qaccel_cmd,
  // job_t.last_bank).
  localparam int unsigned MaxBanks     = 3;
  // Arrays of PairMinPes PEs or more (32x32) write the C rows of two
  // neighbouring tiles as one (qaccel_post_eng): there each row's write
  // holds a memory request slot for a whole latency, and a tile's 32 rows
  // took more slot time than its compute.  (Before the pairs, 32x32 had
  // two banks, since a third bank's reads only took slots from those
  // stores: 512^3 88.1 % with two, 85.2 % with three; paired, three banks
  // give 95.2 %, and 256^3 72.5 %.)
  localparam int unsigned PairMinPes   = 512;
  localparam int unsigned DescBuf      = 16;    // descriptors fetched by one prefetch read
  localparam int unsigned GemvK        = 2048;  // largest GEMV slot: bytes of K per bank
  localparam int unsigned GemvMinPes   = 64;    // arrays with fewer PEs have no GEMV mode
  localparam int unsigned GemvMaxLanes = 4;     // GEMV lanes of 64 multipliers, at most
  localparam int unsigned CqPend       = 16;    // completion-record writes in flight
  localparam int unsigned DmaDepth     = 16;    // bursts in flight per direction
  localparam int unsigned DmaWays      = 8;     // lines of level-0 entries per stream
  localparam int unsigned DmaPfLines   = 2;     // stream buffer: lines prefetched ahead
  localparam int unsigned DmaStreams   = 5;     // A, B, C, bias, per-channel records
  localparam int unsigned BankW        = $clog2(MaxBanks);

  // The bank after b when banks 0..last are in use: the loader claims, and
  // the compute engine streams, the banks in this order.
  function automatic logic [BankW-1:0] bank_next(logic [BankW-1:0] b, logic [BankW-1:0] last);
    return b == last ? '0 : b + 1'b1;
  endfunction

  // ---------------------------------------------------------------------
  // Types between the blocks of the core (qaccel_top wires them)
  // ---------------------------------------------------------------------
  // A buffer reference of a descriptor.
  typedef struct packed {
    logic [63:0] ptable;  // level-1 page table
    logic [31:0] offset;
    logic [31:0] size;
  } buf_ref_t;

  // A decoded descriptor: what the engines need of the running job
  // (qaccel_cmd decodes it, the engines only read it).
  typedef struct packed {
    logic [31:0]        m, n, k, lda, ldb, ldc;
    logic               a_u8, b_u8, bias_en, per_channel;
    out_type_e          out_type;
    rq_mode_e           rq;
    logic [31:0]        out_mult;
    logic signed [7:0]  out_shift;
    logic signed [15:0] a_zp, b_zp, c_zp, clamp_min, clamp_max;
    buf_ref_t           a, b, c, bias, quant;
    logic               gemv;  // GEMV mode (qaccel_cmd says when)
    logic [3:0]         g_sh;  // GEMV slot: 2^g_sh bytes of K
    logic [5:0]         g_ch;  // GEMV channels per bank
    logic [11:0]        t_k;   // bytes of K per chunk (tiled 1..KChunk, GEMV 1..GemvK)
    logic [BankW-1:0]   last_bank;  // banks 0..last_bank are used in turn
  } job_t;

  // One chunk of a tile, as loaded into a scratchpad bank: what the
  // compute and post engines need to know of it.  kl holds up to GemvK.
  typedef struct packed {
    logic [16:0] m0;
    logic [16:0] n0;
    logic [5:0]  mv;    // valid rows, columns
    logic [5:0]  nv;
    logic [11:0] kl;    // K bytes
    logic        last;  // last chunk of its tile
  } chunk_t;

  // A DMA request as an engine raises it (qaccel_req_arb adds row * stride
  // to x with its one multiplier and hands it to qaccel_dma).
  typedef struct packed {
    logic        write;
    logic        phys;    // x is a device address
    logic        cqe;     // a completion record's write
    logic [2:0]  stream;  // translation cache slot, err_detail - 1
    logic        seq;     // the stream walks pages in order
    logic [63:0] ptable;
    logic [31:0] size;
    logic [63:0] x;
    logic [16:0] row;
    logic [31:0] stride;
    logic [15:0] len;
  } dma_req_t;

  // A (multiplier, shift) pair family rq can use, per tensor or per channel
  // (lib/qaccel_ref.c requant_ok): FP32 wants the bits of a positive,
  // normal, finite binary32 (exponent 1..254) and shift 0; the Q31 families
  // a shift ShiftMin..ShiftMax.  sign_exp is multiplier[31:23], the
  // binary32's sign and exponent (the significand never matters).
  function automatic logic rq_param_ok(rq_mode_e rq, logic [8:0] sign_exp,
                                       logic signed [31:0] shift);
    if (rq == RqFp32) begin
      return !sign_exp[8] && sign_exp[7:0] != 8'd0 && sign_exp[7:0] != 8'hff &&
             shift == 32'sd0;
    end
    return shift >= ShiftMin && shift <= ShiftMax;
  endfunction

endpackage
