package org.vnvdimm.sim.run;

import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.AdminCommand;
import org.vnvdimm.proto.DomainConfig;
import org.vnvdimm.qemu.acpi.QemuArgs;
import org.vnvdimm.proto.AdminResult;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Step;
import org.vnvdimm.sim.wire.Wire;

/**
 * The scenario's operator. Injects one step at a time, each when nothing is in flight any more
 * (the previous step and everything it set off have finished), and collects the results the
 * components answer to the admin.
 */
public final class ScenarioDriver implements Wire.Driver {
    /** What one step produced. */
    public record StepOutcome(int index, String command, int rc, String output, long seq) {}

    private final List<Step> steps;
    private final List<StepOutcome> outcomes = new ArrayList<>();
    private int next;

    public ScenarioDriver(Scenario scenario) { this.steps = expand(scenario); }

    /** Bound on the steps a scenario may expand to (count fields). */
    public static final int MAX_STEPS = 100_000;

    /**
     * The scenario's steps as they run: a step with count N becomes N steps with "%d" replaced by
     * 1..N, and a domain's `qemu` options become libxl's device_model_args.
     */
    public static List<Step> expand(Scenario scenario) {
        List<Step> out = new ArrayList<>();
        for (Step s : scenario.getStepsList()) {
            int n = s.hasFile() ? Math.max(1, s.getFile().getCount()) : s.hasXlCreate() ? Math.max(1, s.getXlCreate().getCount()) : 1;
            if (out.size() + n > MAX_STEPS) throw new IllegalArgumentException("scenario expands to more than " + MAX_STEPS + " steps");
            for (int i = 1; i <= n; i++) {
                String k = Integer.toString(i);
                if (s.hasFile()) {
                    out.add(s.toBuilder().setFile(s.getFile().toBuilder().setCount(0).setPath(s.getFile().getPath().replace("%d", k))).build());
                } else if (s.hasXlCreate()) {
                    DomainConfig.Builder d = s.getXlCreate().getDomain().toBuilder();
                    d.setName(d.getName().replace("%d", k)).setQemu(d.getQemu().replace("%d", k));
                    for (int v = 0; v < d.getVnvdimmsCount(); v++) {
                        d.setVnvdimms(v, d.getVnvdimms(v).toBuilder().setFile(d.getVnvdimms(v).getFile().replace("%d", k)));
                    }
                    if (!d.getQemu().isBlank()) d.clearDeviceModelArgs().addAllDeviceModelArgs(QemuArgs.split(d.getQemu()));
                    out.add(s.toBuilder().setXlCreate(s.getXlCreate().toBuilder().setCount(0).setDomain(d)).build());
                } else {
                    out.add(s);
                }
            }
        }
        return out;
    }

    @Override
    public List<Envelope.Builder> next() {
        if (next >= steps.size()) return List.of();
        Step s = steps.get(next++);
        Envelope.Builder e = Envelope.newBuilder().setTag(next);
        switch (s.getActionCase()) {
            case POWER_ON -> e.setTo(Roles.PLATFORM).setPowerOn(s.getPowerOn());
            case NDCTL -> e.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setNdctlCreateNamespace(s.getNdctl()));
            case MKFS -> e.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setMkfs(s.getMkfs()));
            case FILE -> e.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setCreateFile(s.getFile()));
            case PMEM_SETUP -> e.setTo(Roles.XL).setAdminCommand(AdminCommand.newBuilder().setXlPmemSetup(s.getPmemSetup()));
            case XL_CREATE -> e.setTo(Roles.XL).setAdminCommand(AdminCommand.newBuilder().setXlCreate(s.getXlCreate()));
            case ACTION_NOT_SET -> throw new IllegalStateException("step " + next + " has no action");
        }
        return List.of(e);
    }

    @Override
    public List<Envelope.Builder> onAdminDelivery(Envelope e) {
        if (e.hasAdminResult()) {
            AdminResult r = e.getAdminResult();
            outcomes.add(new StepOutcome((int) e.getTag(), e.getFrom(), r.getRc(), r.getOutput(), e.getSeq()));
        }
        return List.of();
    }

    public List<StepOutcome> outcomes() { return outcomes; }

    /** Steps that answered with a failure. */
    public List<StepOutcome> failures() {
        List<StepOutcome> f = new ArrayList<>();
        for (StepOutcome o : outcomes) if (o.rc() != 0) f.add(o);
        return f;
    }
}
