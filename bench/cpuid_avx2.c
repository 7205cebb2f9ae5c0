/* An AVX-512 host that says it has only AVX2, for `./desk bench` (LD_PRELOAD, bench only).

   Libraries pick their kernels from the CPUID instruction: ONNX Runtime's MLAS, chromadb's
   HNSW, OpenVINO's own kernels, NumPy. No setting holds all of them back, but Linux can make
   CPUID fault in user space (arch_prctl ARCH_SET_CPUID, on CPUs with "cpuid_fault" in
   /proc/cpuinfo). This library's constructor turns that on for the process; each CPUID then
   raises SIGSEGV, the handler runs the real instruction with faulting briefly off, clears the
   AVX-512 and VNNI feature bits of leaf 7 and steps over the instruction. The setting is
   inherited by threads and forked children and reset by execve, where LD_PRELOAD sets it again.

   What it cannot reach: the dynamic loader reads CPUID before any constructor runs, so
   glibc's own string functions are held with GLIBC_TUNABLES instead (bench/isa.py). Whether
   anything still ran AVX-512 code is checked afterwards from the kernel's per-thread record
   (/proc/PID/task/TID/arch_status, AVX512_elapsed_ms). */
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define ARCH_SET_CPUID 0x1012

/* leaf 7, subleaf 0 */
#define EBX_OFF ((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31))
/*               F           DQ          IFMA        PF          ER          CD          BW          VL */
#define ECX_OFF ((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14))
/*               VBMI        VBMI2       VNNI         BITALG       VPOPCNTDQ */
#define EDX_OFF ((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23))
/*               4VNNIW      4FMAPS      VP2INTERSECT FP16 */
/* leaf 7, subleaf 1: AVX-VNNI (the VEX form, which AVX2-only laptops like the filer's lack) and AVX512_BF16 */
#define EAX1_OFF ((1u << 4) | (1u << 5))

int cpuid_avx2_active = 0; /* 1 once CPUID faults in this process */

static void on_segv(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    greg_t *reg = uc->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)reg[REG_RIP];
    (void)info;
    if (ip[0] != 0x0f || ip[1] != 0xa2) { /* a real fault: die of it as the process would have */
        signal(sig, SIG_DFL);
        return;
    }
    unsigned leaf = (unsigned)reg[REG_RAX], sub = (unsigned)reg[REG_RCX], a, b, c, d;
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    __cpuid_count(leaf, sub, a, b, c, d);
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
    if (leaf == 7 && sub == 0) {
        b &= ~EBX_OFF;
        c &= ~ECX_OFF;
        d &= ~EDX_OFF;
    } else if (leaf == 7 && sub == 1) {
        a &= ~EAX1_OFF;
    }
    reg[REG_RAX] = a;
    reg[REG_RBX] = b;
    reg[REG_RCX] = c;
    reg[REG_RDX] = d;
    reg[REG_RIP] += 2; /* CPUID is 0F A2 */
}

__attribute__((constructor)) static void hold_to_avx2(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) == 0 && syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0)
        cpuid_avx2_active = 1;
}
