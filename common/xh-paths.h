/* SPDX-License-Identifier: MIT */
/*
 * The layout of a hybrid session's own directory, as seen inside the
 * session: the plan (overlay/) makes these, the engine (session/) fills
 * them, the shim (shim/) reads them.
 */
#ifndef XH_PATHS_H
#define XH_PATHS_H

#define XH_SESSION_DIR   "/.xhybrid"
#define XH_TOOLCHAIN_DIR XH_SESSION_DIR "/toolchain" /* the toolchain layer, read-only */
#define XH_ORIG_DIR      XH_SESSION_DIR "/orig"      /* the target root itself, read-only */
#define XH_BIN_DIR       XH_SESSION_DIR "/bin"       /* the shim */
#define XH_SHIM_PATH     XH_BIN_DIR "/xhybrid-shim"
#define XH_RUN_DIR       XH_SESSION_DIR "/run"         /* a tmpfs for this session */
#define XH_CACHE_DIR     XH_SESSION_DIR "/cache"       /* answers of the target's tools */
#define XH_SHIM_CONF     XH_SESSION_DIR "/shim.conf"   /* the shim's configuration */
#define XH_CCACHE_DIR    XH_SESSION_DIR "/ccache"      /* the compile cache (--cache) */
#define XH_CCACHE_CONF   XH_SESSION_DIR "/ccache.conf" /* its configuration, read-only */
#define XH_CCACHE_TMP    XH_RUN_DIR "/ccache"          /* its temporary files */
#define XH_CCACHE_PROG   "/usr/bin/ccache"             /* in the toolchain layer */
#define XH_DISTCC_PROG   "/usr/bin/distcc"             /* in the toolchain layer */
#define XH_DISTCCD_PROG  "/usr/bin/distccd"            /* in the toolchain layer */
#define XH_DISTCC_DIR    XH_RUN_DIR "/distcc"          /* distcc's state (DISTCC_DIR) */
#define XH_DISTCC_LOG    XH_RUN_DIR "/distcc.log"      /* its messages (DISTCC_LOG) */
/* In the namespace of 'xhybrid serve': the served compiler names and their list. */
#define XH_SERVE_DIR     "/run/xhybrid"
#define XH_SERVE_CMDLIST XH_SERVE_DIR "/cmdlist"
/* The name a served compiler has: xh-ID-DRIVER (ID: the layer's compiler, by content). */
#define XH_DISTCC_PREFIX "xh-"
/* Tracing sessions (run --trace) only: */
#define XH_TRACE_FILE    XH_SESSION_DIR "/trace" /* the host's trace file, bound */
#define XH_EMULATOR_PATH XH_BIN_DIR "/emulator"  /* a copy of the session's qemu */
#define XH_BINFMT_NAME   "xhybrid-binfmt"        /* the shim as the binfmt interpreter */
#define XH_BINFMT_PATH   XH_BIN_DIR "/" XH_BINFMT_NAME
/* Set by the shim for an emulated original: why, for the binfmt mode's record. */
#define XH_TRACE_WHY_ENV "XHYBRID_TRACE_WHY"

#endif
