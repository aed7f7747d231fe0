package org.vnvdimm.sim.fault;

import java.util.List;
import java.util.Locale;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.EnvelopeOrBuilder;
import org.vnvdimm.sim.record.TraceFormatter;

/**
 * The name a fault plan uses for a message, in Xen's words where Xen has one: a hypercall by its
 * sub-op (XEN_DOMCTL_memory_mapping, XENMEM_populate_physmap, XENPF_pmem_add, XEN_SYSCTL_nvdimm_op,
 * XEN_DMOP_set_isa_irq_level), a xenstore request by its type (XS_WRITE), anything else by its
 * message kind as the trace and the .proto name it (ioreq, xs_watch_event, hypercall_ret, ...).
 */
public final class MessageNames {
    private MessageNames() {}

    /** Hypercalls a hypercall_error may name. */
    public static final List<String> HYPERCALLS = List.of(
            "XEN_DOMCTL_createdomain", "XEN_DOMCTL_destroydomain", "XEN_DOMCTL_pausedomain", "XEN_DOMCTL_unpausedomain",
            "XEN_DOMCTL_max_mem", "XEN_DOMCTL_max_vcpus", "XEN_DOMCTL_iomem_permission", "XEN_DOMCTL_memory_mapping",
            "XENMEM_populate_physmap", "XENMEM_memory_map", "XENMEM_machine_memory_map", "XENMEM_set_memory_map",
            "XENMEM_populate_pmem_map", "XENPF_pmem_add", "XEN_SYSCTL_nvdimm_op",
            "XEN_DMOP_create_ioreq_server", "XEN_DMOP_map_io_range_to_ioreq_server", "XEN_DMOP_set_ioreq_server_state",
            "XEN_DMOP_set_isa_irq_level");

    public static boolean isHypercall(EnvelopeOrBuilder e) {
        return switch (e.getPayloadCase()) {
            case DOMCTL, SYSCTL, PLATFORM_OP, MEMORY_OP, DM_OP -> true;
            default -> false;
        };
    }

    public static String of(EnvelopeOrBuilder e) {
        if (isHypercall(e) || e.getPayloadCase() == Envelope.PayloadCase.XS_REQUEST) {
            Envelope built = e instanceof Envelope.Builder b ? b.buildPartial() : (Envelope) e;
            String d = TraceFormatter.describe(built);
            int sp = d.indexOf(' ');
            return sp < 0 ? d : d.substring(0, sp);
        }
        return e.getPayloadCase().name().toLowerCase(Locale.ROOT);
    }

    /** Every name `of` can give for a message that is not a hypercall or a xenstore request. */
    public static List<String> kinds() {
        List<String> out = new java.util.ArrayList<>();
        for (Envelope.PayloadCase c : Envelope.PayloadCase.values()) {
            if (c != Envelope.PayloadCase.PAYLOAD_NOT_SET) out.add(c.name().toLowerCase(Locale.ROOT));
        }
        return out;
    }
}
