package org.vnvdimm.sim.wire;

import org.vnvdimm.proto.Envelope;

/**
 * Virtual time a delivery costs, in nanoseconds: rough orders of magnitude of the real paths
 * (a memory access, a hypercall, a xenstore round trip over the ring, a process start), so traces
 * show plausible timing without any wall clock.
 */
final class Latency {
    private Latency() {}

    static long of(Envelope.PayloadCase kind) {
        return switch (kind) {
            case MEM_ACCESS, MEM_ACCESS_DONE, GUEST_MEM_ACCESS -> 100;
            case DOMCTL, SYSCTL, PLATFORM_OP, MEMORY_OP, DM_OP, MMU_UPDATE, HYPERCALL_RET, FOREIGN_MEM_ACCESS -> 1_000;
            case IOREQ, IOREQ_DONE, GUEST_IO, GUEST_IO_DONE, GUEST_FAULT, GUEST_INTERRUPT -> 5_000;
            case XS_REQUEST, XS_RESPONSE, XS_WATCH_EVENT -> 20_000;
            case FILE_MMAP, FILE_MMAP_REPLY, FILE_STAT, FILE_STAT_REPLY, FILE_IO, FILE_IO_REPLY, FIEMAP, FIEMAP_REPLY, SYSFS_READ, SYSFS_REPLY, IOMEM_GRANT_REQUEST, IOMEM_GRANT_REPLY -> 10_000;
            case GUEST_COMMAND, LAYOUT_BREAK -> 10_000;
            case DEVICE_MODEL_START, DOMAIN_START -> 50_000_000;
            case ADMIN_COMMAND, ADMIN_RESULT -> 1_000_000;
            case POWER_ON, FIRMWARE_HANDOFF -> 500_000_000;
            case ACPI_NOTIFY, ACPI_EVAL, ACPI_EVAL_RESULT -> 10_000;
            case QMP_COMMAND, QMP_REPLY -> 100_000;
            case HOTPLUG_DIMM -> 1_000_000;
            case TIMER_FIRED -> 0;   // its deadline already is the time it goes off
            case STATE_DUMP_REQUEST -> 0;   // never on the wire: sent outside the run by `show`
            case PAYLOAD_NOT_SET -> 1;
        };
    }
}
