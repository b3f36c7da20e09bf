// SPDX-License-Identifier: MIT
/*
 * iface_check: every constant shared across the RTL, the C hardware header,
 * the uapi and the library says the same thing everywhere.
 *
 * include/qaccel_hw.h against hw/rtl/qaccel_pkg.sv: iface_dump
 * (tests/hw/iface_dump.sv, built with verilator --binary) prints every
 * package constant, microarchitecture parameters included; this program
 * compares each with the C header's macro, offsetof or sizeof, and checks
 * that no package constant escapes the comparison.
 *
 * The library's public headers (lib/qaccel.h, lib/qaccel_ref.h) and the
 * uapi (include/uapi/drm/qaccel_drm.h) must stay self-contained, so they
 * carry copies of the flag bits, output types, capability bits, opcodes,
 * limits and the per-channel record; each copy is compared here with the
 * device's value.  (The kernel also asserts uapi == device at compile time,
 * which protects its ABI on its own.)
 *
 * The paths of iface_dump and qaccel_pkg.sv are built in (IFACE_DUMP,
 * QACCEL_PKG) and may be overridden by environment variables of those names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "kselftest_harness.h"
#include "qaccel.h"
#include "uapi/drm/qaccel_drm.h"

/*
 * lib/qaccel.h and qaccel_hw.h both name the capability bits QACCEL_CAP_*:
 * take the library's values, then let the device header define its own.
 */
static const long long lib_caps[] = {
	QACCEL_CAP_GEMM_I32, QACCEL_CAP_REQUANT, QACCEL_CAP_PER_CHANNEL, QACCEL_CAP_BIAS,
	QACCEL_CAP_UINT8_IN, QACCEL_CAP_GEMV, QACCEL_CAP_FUNCTIONAL, QACCEL_CAP_RQ_MODES,
};
#undef QACCEL_CAP_GEMM_I32
#undef QACCEL_CAP_REQUANT
#undef QACCEL_CAP_PER_CHANNEL
#undef QACCEL_CAP_BIAS
#undef QACCEL_CAP_UINT8_IN
#undef QACCEL_CAP_GEMV
#undef QACCEL_CAP_FUNCTIONAL
#undef QACCEL_CAP_RQ_MODES

#include "qaccel_hw.h"

#define MAX_CONSTS 512

struct sv_const {
	char name[64];
	long long value;
	bool checked;
};

static struct sv_const sv[MAX_CONSTS];
static int n_sv;
static const char *dump_prog, *pkg_path;

/* How the C side expresses a package constant. */
enum kind {
	SAME,	/* equal values */
	BIT,	/* package: bit position; C: the mask 1 << pos */
};

struct pair {
	const char *name;
	long long c;
	enum kind kind;
};

#define V(sv_name, c_expr) { #sv_name, (long long)(c_expr), SAME }
#define B(sv_name, c_mask) { #sv_name, (long long)(c_mask), BIT }
#define DESC(sv_name, field) V(sv_name, offsetof(struct qaccel_hw_desc, field))
#define CQE(sv_name, field) V(sv_name, offsetof(struct qaccel_hw_cqe, field))

static const struct pair pairs[] = {
	V(IdMagic, QACCEL_ID_MAGIC),
	V(VersionMajor, QACCEL_VERSION_MAJOR),
	V(VersionMinor, QACCEL_VERSION_MINOR),
	V(Version, QACCEL_VERSION),
	V(MaxDim, QACCEL_MAX_DIM),
	V(MaxQueue, QACCEL_MAX_QUEUE),

	V(RegId, QACCEL_REG_ID),
	V(RegVersion, QACCEL_REG_VERSION),
	V(RegCaps, QACCEL_REG_CAPS),
	V(RegArray, QACCEL_REG_ARRAY),
	V(RegMaxDim, QACCEL_REG_MAX_DIM),
	V(RegCtrl, QACCEL_REG_CTRL),
	V(RegStatus, QACCEL_REG_STATUS),
	V(RegSqBaseLo, QACCEL_REG_SQ_BASE_LO),
	V(RegSqBaseHi, QACCEL_REG_SQ_BASE_HI),
	V(RegCqBaseLo, QACCEL_REG_CQ_BASE_LO),
	V(RegCqBaseHi, QACCEL_REG_CQ_BASE_HI),
	V(RegSqSize, QACCEL_REG_SQ_SIZE),
	V(RegCqSize, QACCEL_REG_CQ_SIZE),
	V(RegSqTail, QACCEL_REG_SQ_TAIL),
	V(RegSqHead, QACCEL_REG_SQ_HEAD),
	V(RegCqHead, QACCEL_REG_CQ_HEAD),
	V(RegCqTail, QACCEL_REG_CQ_TAIL),
	V(RegIntStatus, QACCEL_REG_INT_STATUS),
	V(RegIntEnable, QACCEL_REG_INT_ENABLE),
	V(RegErrCode, QACCEL_REG_ERR_CODE),
	V(RegErrAddrLo, QACCEL_REG_ERR_ADDR_LO),
	V(RegErrAddrHi, QACCEL_REG_ERR_ADDR_HI),
	V(RegCntCycles, QACCEL_REG_CNT_CYCLES),
	V(RegCntBusy, QACCEL_REG_CNT_BUSY),
	V(RegCntMacs, QACCEL_REG_CNT_MACS),
	V(RegCntDmaRd, QACCEL_REG_CNT_DMA_RD),
	V(RegCntDmaWr, QACCEL_REG_CNT_DMA_WR),
	V(RegCntDmaStall, QACCEL_REG_CNT_DMA_STALL),
	V(RegCntComputeStall, QACCEL_REG_CNT_COMPUTE_STALL),
	V(RegCntJobs, QACCEL_REG_CNT_JOBS),
	V(RegEnd, QACCEL_REG_END),

	B(CapGemmI32, QACCEL_CAP_GEMM_I32),
	B(CapRequant, QACCEL_CAP_REQUANT),
	B(CapPerChannel, QACCEL_CAP_PER_CHANNEL),
	B(CapBias, QACCEL_CAP_BIAS),
	B(CapUint8In, QACCEL_CAP_UINT8_IN),
	B(CapGemv, QACCEL_CAP_GEMV),
	B(CapRequantModes, QACCEL_CAP_RQ_MODES),
	B(CapFunctional, QACCEL_CAP_FUNCTIONAL),
	B(CtrlEnable, QACCEL_CTRL_ENABLE),
	B(CtrlReset, QACCEL_CTRL_RESET),
	B(StatusEnabled, QACCEL_STATUS_ENABLED),
	B(StatusBusy, QACCEL_STATUS_BUSY),
	B(StatusFatal, QACCEL_STATUS_FATAL),
	B(StatusIdle, QACCEL_STATUS_IDLE),
	B(IntCq, QACCEL_INT_CQ),
	B(IntFatal, QACCEL_INT_FATAL),

	V(PageShift, QACCEL_PAGE_SHIFT),
	V(PtEntries, QACCEL_PT_ENTRIES),
	V(PtL1Shift, QACCEL_PT_L1_SHIFT),
	B(PteValid, QACCEL_PTE_VALID),
	V(MaxBufSize, QACCEL_MAX_BUF_SIZE),

	V(DescBytes, sizeof(struct qaccel_hw_desc)),
	V(OpNop, QACCEL_OP_NOP),
	V(OpGemm, QACCEL_OP_GEMM),
	B(FlagAUint8, QACCEL_F_A_UINT8),
	B(FlagBUint8, QACCEL_F_B_UINT8),
	V(FlagOutShift, QACCEL_F_OUT_SHIFT),
	B(FlagBias, QACCEL_F_BIAS),
	B(FlagPerChannel, QACCEL_F_PER_CHANNEL),
	V(FlagRequant, QACCEL_F_RQ_SHIFT),
	V(FlagsAll, QACCEL_F_ALL),
	V(RqGemmlowp, QACCEL_F_RQ_GEMMLOWP >> QACCEL_F_RQ_SHIFT),
	V(RqSingle, QACCEL_F_RQ_SINGLE >> QACCEL_F_RQ_SHIFT),
	V(RqFp32, QACCEL_F_RQ_FP32 >> QACCEL_F_RQ_SHIFT),
	V(OutInt32, QACCEL_F_OUT_INT32 >> QACCEL_F_OUT_SHIFT),
	V(OutInt8, QACCEL_F_OUT_INT8 >> QACCEL_F_OUT_SHIFT),
	V(OutUint8, QACCEL_F_OUT_UINT8 >> QACCEL_F_OUT_SHIFT),

	DESC(DescOpcode, opcode),
	DESC(DescReserved0, reserved0),
	DESC(DescFlags, flags),
	DESC(DescTag, tag),
	DESC(DescM, m),
	DESC(DescN, n),
	DESC(DescK, k),
	DESC(DescLda, lda),
	DESC(DescLdb, ldb),
	DESC(DescLdc, ldc),
	DESC(DescA, a),
	DESC(DescB, b),
	DESC(DescC, c),
	DESC(DescBias, bias),
	DESC(DescQuant, quant),
	DESC(DescOutMultiplier, out_multiplier),
	DESC(DescOutShift, out_shift),
	DESC(DescReserved1, reserved1),
	DESC(DescAZeroPoint, a_zero_point),
	DESC(DescBZeroPoint, b_zero_point),
	DESC(DescCZeroPoint, c_zero_point),
	DESC(DescClampMin, clamp_min),
	DESC(DescClampMax, clamp_max),

	V(BufTable, offsetof(struct qaccel_hw_buf, table)),
	V(BufOffset, offsetof(struct qaccel_hw_buf, offset)),
	V(BufSize, offsetof(struct qaccel_hw_buf, size)),
	V(BufBytes, sizeof(struct qaccel_hw_buf)),
	V(QuantBytes, sizeof(struct qaccel_hw_quant)),
	V(ShiftMin, QACCEL_SHIFT_MIN),
	V(ShiftMax, QACCEL_SHIFT_MAX),

	V(CqeBytes, sizeof(struct qaccel_hw_cqe)),
	CQE(CqeTag, tag),
	CQE(CqeStatus, status),
	CQE(CqeInfo, info),
	CQE(CqeSqHead, sq_head),
	CQE(CqeErrDetail, err_detail),
	CQE(CqeCycles, cycles),
	CQE(CqeBusyCycles, busy_cycles),
	CQE(CqeMacs, macs),
	CQE(CqeDmaRdBytes, dma_rd_bytes),
	CQE(CqeDmaWrBytes, dma_wr_bytes),
	CQE(CqeDmaStallCycles, dma_stall_cycles),
	CQE(CqeComputeStallCycles, compute_stall_cycles),
	B(CqePhase, QACCEL_CQE_PHASE),

	V(ErrOk, QACCEL_ERR_OK),
	V(ErrBadOpcode, QACCEL_ERR_BAD_OPCODE),
	V(ErrBadDim, QACCEL_ERR_BAD_DIM),
	V(ErrBadFlags, QACCEL_ERR_BAD_FLAGS),
	V(ErrUnsupported, QACCEL_ERR_UNSUPPORTED),
	V(ErrBadParam, QACCEL_ERR_BAD_PARAM),
	V(ErrDmaBounds, QACCEL_ERR_DMA_BOUNDS),
	V(ErrDmaFault, QACCEL_ERR_DMA_FAULT),
	V(ErrRingFault, QACCEL_ERR_RING_FAULT),
	V(ErrBadQueue, QACCEL_ERR_BAD_QUEUE),
	V(DetailA, QACCEL_DETAIL_A),
	V(DetailB, QACCEL_DETAIL_B),
	V(DetailC, QACCEL_DETAIL_C),
	V(DetailBias, QACCEL_DETAIL_BIAS),
	V(DetailQuant, QACCEL_DETAIL_QUANT),

	V(AxiDataBytes, QACCEL_AXI_DATA_BYTES),
	V(AxiDataBits, QACCEL_AXI_DATA_BYTES * 8),
	V(AxiAddrBits, QACCEL_AXI_ADDR_BITS),
	V(AxiIdBits, QACCEL_AXI_ID_BITS),
	V(AxiMaxBurst, QACCEL_AXI_MAX_BURST),

	V(KChunk, QACCEL_UARCH_K_CHUNK),
	V(MaxBanks, QACCEL_UARCH_MAX_BANKS),
	V(PairMinPes, QACCEL_UARCH_PAIR_MIN_PES),
	V(BankW, 32 - __builtin_clz(QACCEL_UARCH_MAX_BANKS - 1)),	/* bits of a bank index */
	V(DescBuf, QACCEL_UARCH_DESC_BUF),
	V(GemvK, QACCEL_UARCH_GEMV_K),
	V(GemvMinPes, QACCEL_UARCH_GEMV_MIN_PES),
	V(GemvMaxLanes, QACCEL_UARCH_GEMV_MAX_LANES),
	V(CqPend, QACCEL_UARCH_CQ_PEND),
	V(DmaDepth, QACCEL_UARCH_DMA_DEPTH),
	V(DmaWays, QACCEL_UARCH_DMA_WAYS),
	V(DmaPfLines, QACCEL_UARCH_DMA_PF_LINES),
	V(DmaStreams, QACCEL_UARCH_DMA_STREAMS),
};

/* A software copy of a device constant. */
struct copy {
	const char *name;	/* the copy */
	long long value;
	long long device;	/* what qaccel_hw.h (compared with the package) says */
};

#define C(copy, device) { #copy, (long long)(copy), (long long)(device) }

static const struct copy copies[] = {
	/* Descriptor flags: uapi (passed to the kernel) and library (to the uapi). */
	C(DRM_QACCEL_GEMM_A_UINT8, QACCEL_F_A_UINT8),
	C(DRM_QACCEL_GEMM_B_UINT8, QACCEL_F_B_UINT8),
	C(DRM_QACCEL_GEMM_OUT_INT32, QACCEL_F_OUT_INT32),
	C(DRM_QACCEL_GEMM_OUT_INT8, QACCEL_F_OUT_INT8),
	C(DRM_QACCEL_GEMM_OUT_UINT8, QACCEL_F_OUT_UINT8),
	C(DRM_QACCEL_GEMM_OUT_MASK, QACCEL_F_OUT_MASK),
	C(DRM_QACCEL_GEMM_BIAS, QACCEL_F_BIAS),
	C(DRM_QACCEL_GEMM_PER_CHANNEL, QACCEL_F_PER_CHANNEL),
	C(DRM_QACCEL_GEMM_RQ_GEMMLOWP, QACCEL_F_RQ_GEMMLOWP),
	C(DRM_QACCEL_GEMM_RQ_SINGLE, QACCEL_F_RQ_SINGLE),
	C(DRM_QACCEL_GEMM_RQ_FP32, QACCEL_F_RQ_FP32),
	C(DRM_QACCEL_GEMM_RQ_MASK, QACCEL_F_RQ_MASK),
	C(QACCEL_GEMM_A_UINT8, QACCEL_F_A_UINT8),
	C(QACCEL_GEMM_B_UINT8, QACCEL_F_B_UINT8),
	C(QACCEL_GEMM_OUT_INT32, QACCEL_F_OUT_INT32),
	C(QACCEL_GEMM_OUT_INT8, QACCEL_F_OUT_INT8),
	C(QACCEL_GEMM_OUT_UINT8, QACCEL_F_OUT_UINT8),
	C(QACCEL_GEMM_OUT_MASK, QACCEL_F_OUT_MASK),
	C(QACCEL_GEMM_BIAS, QACCEL_F_BIAS),
	C(QACCEL_GEMM_PER_CHANNEL, QACCEL_F_PER_CHANNEL),
	C(QACCEL_GEMM_RQ_GEMMLOWP, QACCEL_F_RQ_GEMMLOWP),
	C(QACCEL_GEMM_RQ_SINGLE, QACCEL_F_RQ_SINGLE),
	C(QACCEL_GEMM_RQ_FP32, QACCEL_F_RQ_FP32),
	C(QACCEL_GEMM_RQ_MASK, QACCEL_F_RQ_MASK),
	C(QACCEL_GEMM_FLAGS_ALL, QACCEL_F_ALL),
	/* Opcodes, limits, the per-channel record. */
	C(DRM_QACCEL_OP_NOP, QACCEL_OP_NOP),
	C(DRM_QACCEL_OP_GEMM, QACCEL_OP_GEMM),
	C(QACCEL_GEMM_MAX_DIM, QACCEL_MAX_DIM),
	C(QACCEL_GEMM_SHIFT_MIN, QACCEL_SHIFT_MIN),
	C(QACCEL_GEMM_SHIFT_MAX, QACCEL_SHIFT_MAX),
	C(sizeof(struct qaccel_quant), sizeof(struct qaccel_hw_quant)),
	C(offsetof(struct qaccel_quant, multiplier), offsetof(struct qaccel_hw_quant, multiplier)),
	C(offsetof(struct qaccel_quant, shift), offsetof(struct qaccel_hw_quant, shift)),
	/* Capability bits: the kernel passes the device's on, the library the kernel's. */
	C(DRM_QACCEL_CAP_GEMM_I32, QACCEL_CAP_GEMM_I32),
	C(DRM_QACCEL_CAP_REQUANT, QACCEL_CAP_REQUANT),
	C(DRM_QACCEL_CAP_PER_CHANNEL, QACCEL_CAP_PER_CHANNEL),
	C(DRM_QACCEL_CAP_BIAS, QACCEL_CAP_BIAS),
	C(DRM_QACCEL_CAP_UINT8_IN, QACCEL_CAP_UINT8_IN),
	C(DRM_QACCEL_CAP_GEMV, QACCEL_CAP_GEMV),
	C(DRM_QACCEL_CAP_FUNCTIONAL, QACCEL_CAP_FUNCTIONAL),
	C(DRM_QACCEL_CAP_RQ_MODES, QACCEL_CAP_RQ_MODES),
	{ "lib QACCEL_CAP_GEMM_I32", lib_caps[0], QACCEL_CAP_GEMM_I32 },
	{ "lib QACCEL_CAP_REQUANT", lib_caps[1], QACCEL_CAP_REQUANT },
	{ "lib QACCEL_CAP_PER_CHANNEL", lib_caps[2], QACCEL_CAP_PER_CHANNEL },
	{ "lib QACCEL_CAP_BIAS", lib_caps[3], QACCEL_CAP_BIAS },
	{ "lib QACCEL_CAP_UINT8_IN", lib_caps[4], QACCEL_CAP_UINT8_IN },
	{ "lib QACCEL_CAP_GEMV", lib_caps[5], QACCEL_CAP_GEMV },
	{ "lib QACCEL_CAP_FUNCTIONAL", lib_caps[6], QACCEL_CAP_FUNCTIONAL },
	{ "lib QACCEL_CAP_RQ_MODES", lib_caps[7], QACCEL_CAP_RQ_MODES },
};

TEST(every_library_and_uapi_copy_matches_the_device)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
		if (copies[i].value == copies[i].device)
			continue;
		TH_LOG("%s is %lld, the device's is %lld", copies[i].name, copies[i].value,
		       copies[i].device);
		bad++;
	}
	EXPECT_EQ(0, bad);
}

static int load_dump(void)
{
	char line[256];
	FILE *f;

	if (n_sv)
		return 0;
	f = popen(dump_prog, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n_sv < MAX_CONSTS) {
		struct sv_const *c = &sv[n_sv];

		if (sscanf(line, "%63s %lld", c->name, &c->value) == 2)
			n_sv++;
	}
	return pclose(f) == 0 && n_sv > 0 ? 0 : -1;
}

static struct sv_const *find_sv(const char *name)
{
	for (int i = 0; i < n_sv; i++)
		if (!strcmp(sv[i].name, name))
			return &sv[i];
	return NULL;
}

static bool matches(const struct pair *p, long long sv_value)
{
	if (p->kind == BIT)
		return sv_value >= 0 && sv_value < 64 && p->c == 1ll << sv_value;
	return p->c == sv_value;
}

TEST(every_c_constant_matches_the_package)
{
	int bad = 0;

	ASSERT_EQ(0, load_dump()) TH_LOG("running %s failed", dump_prog);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct sv_const *c = find_sv(pairs[i].name);

		if (!c) {
			TH_LOG("%s: not printed by iface_dump", pairs[i].name);
			bad++;
		} else if (!matches(&pairs[i], c->value)) {
			TH_LOG("%s: package %lld, C header %lld%s", pairs[i].name,
			       c->value, pairs[i].c,
			       pairs[i].kind == BIT ? " (C mask, package bit)" : "");
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
}

TEST(every_dumped_constant_has_a_c_twin)
{
	int bad = 0;

	ASSERT_EQ(0, load_dump());
	for (int i = 0; i < n_sv; i++) {
		bool found = false;

		for (size_t j = 0; j < sizeof(pairs) / sizeof(pairs[0]); j++)
			found |= !strcmp(pairs[j].name, sv[i].name);
		if (!found) {
			TH_LOG("%s: printed by iface_dump, unknown to iface_check", sv[i].name);
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
}

static bool copied(const char *prefix, long long device)
{
	for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
		if (!strncmp(copies[i].name, prefix, strlen(prefix)) && copies[i].device == device)
			return true;
	return false;
}

/*
 * Every capability bit, flag bit, output type and requantization family the
 * package declares has its uapi and library copy in copies[], so a new one
 * cannot be left out.
 */
TEST(every_package_flag_and_capability_has_its_copies)
{
	static const struct {
		const char *sv_prefix, *uapi, *lib;
		int field_shift;	/* enum items: where the field sits; -1: a bit */
	} kinds[] = {
		{ "Cap", "DRM_QACCEL_CAP_", "lib QACCEL_CAP_", -1 },
		{ "FlagAUint8", "DRM_QACCEL_GEMM_", "QACCEL_GEMM_", -1 },
		{ "FlagBUint8", "DRM_QACCEL_GEMM_", "QACCEL_GEMM_", -1 },
		{ "FlagBias", "DRM_QACCEL_GEMM_", "QACCEL_GEMM_", -1 },
		{ "FlagPerChannel", "DRM_QACCEL_GEMM_", "QACCEL_GEMM_", -1 },
		{ "Out", "DRM_QACCEL_GEMM_OUT_", "QACCEL_GEMM_OUT_", QACCEL_F_OUT_SHIFT },
		{ "Rq", "DRM_QACCEL_GEMM_RQ_", "QACCEL_GEMM_RQ_", QACCEL_F_RQ_SHIFT },
	};
	int bad = 0, seen = 0;

	ASSERT_EQ(0, load_dump());
	for (int i = 0; i < n_sv; i++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			long long device;

			if (strncmp(sv[i].name, kinds[k].sv_prefix, strlen(kinds[k].sv_prefix)))
				continue;
			device = kinds[k].field_shift < 0 ? 1ll << sv[i].value
							  : sv[i].value << kinds[k].field_shift;
			seen++;
			if (!copied(kinds[k].uapi, device) || !copied(kinds[k].lib, device)) {
				TH_LOG("%s: no uapi (%s*) or library (%s*) copy compared",
				       sv[i].name, kinds[k].uapi, kinds[k].lib);
				bad++;
			}
		}
	}
	EXPECT_LT(10, seen);
	EXPECT_EQ(0, bad);
}

/*
 * Every localparam and enum item the package declares is printed, so a new
 * package constant cannot slip past the comparison.  The scan is deliberately
 * simple: "localparam <type> Name =" and "Name = <n>'d<v>" enum items.
 */
TEST(every_package_constant_is_dumped)
{
	char line[512];
	int bad = 0, seen = 0;
	FILE *f;

	ASSERT_EQ(0, load_dump());
	f = fopen(pkg_path, "r");
	ASSERT_NE(NULL, f) TH_LOG("cannot open %s", pkg_path);
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *end, *start;
		char name[64];

		if (!eq || (strstr(line, "//") && strstr(line, "//") < eq))
			continue;
		if (!strstr(line, "localparam") && !strstr(line, "'d"))
			continue;
		end = eq;
		while (end > line && isspace((unsigned char)end[-1]))
			end--;
		start = end;
		while (start > line && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
			start--;
		if (end - start <= 0 || end - start >= (long)sizeof(name))
			continue;
		memcpy(name, start, end - start);
		name[end - start] = 0;
		seen++;
		if (!find_sv(name)) {
			TH_LOG("%s: declared in %s but not printed by iface_dump", name, pkg_path);
			bad++;
		}
	}
	fclose(f);
	EXPECT_LT(100, seen);
	EXPECT_EQ(0, bad);
}

/* The build passes both paths; the environment may override them. */
static void __attribute__((constructor)) find_inputs(void)
{
	dump_prog = getenv("IFACE_DUMP") ?: IFACE_DUMP;
	pkg_path = getenv("QACCEL_PKG") ?: QACCEL_PKG;
}

TEST_HARNESS_MAIN
