package org.vnvdimm.sim.run;

import java.util.ArrayList;
import java.util.List;
import org.vnvdimm.contract.Errno;
import org.vnvdimm.contract.Roles;
import org.vnvdimm.proto.AdminCommand;
import org.vnvdimm.proto.AdminResult;
import org.vnvdimm.proto.DomainConfig;
import org.vnvdimm.proto.Envelope;
import org.vnvdimm.proto.ExpectedStepFailure;
import org.vnvdimm.proto.Scenario;
import org.vnvdimm.proto.Step;
import org.vnvdimm.proto.StepOutcome;
import org.vnvdimm.qemu.acpi.QemuArgs;
import org.vnvdimm.sim.wire.Wire;

/**
 * The scenario's operator. Injects one step at a time, each when nothing is in flight any more
 * (the previous step and everything it set off have finished), and keeps what each command
 * answered. Steps are numbered as the scenario lists them (1-based); a step with `count` runs as
 * instances 1..count of that number, one after the other, and a `concurrently` step runs its
 * steps as instances 1..k all at once. The envelope's tag is {@link #tag}(step, instance), so the
 * trace shows the step and each answer finds its instance.
 */
public final class ScenarioDriver implements Wire.Driver {
    /**
     * One step as it runs: its number under `steps:`, its instance (0 without count or
     * concurrently), the step, and its group (the steps injected together).
     */
    public record Planned(int step, int instance, Step action, int group) {}

    /** Bits of the envelope tag that hold the instance. */
    static final int INSTANCE_BITS = 20;

    /** The envelope tag of a step instance: step in the high bits, instance in the low 20. */
    public static long tag(int step, int instance) { return ((long) step << INSTANCE_BITS) | instance; }

    /** "6", or "6.3" for instance 3 of step 6, from an envelope tag. */
    public static String stepOfTag(long tag) {
        long step = tag >>> INSTANCE_BITS, instance = tag & ((1L << INSTANCE_BITS) - 1);
        return instance == 0 ? Long.toString(step) : step + "." + instance;
    }

    /** Bound on the steps a scenario may expand to (count fields). */
    public static final int MAX_STEPS = 100_000;

    private final List<Planned> plan;
    private final List<ExpectedStepFailure> expected;
    private final List<StepOutcome> outcomes = new ArrayList<>();
    private int next;
    /** The steps in progress and not answered yet, by tag (looked up only; closed in plan order). */
    private final java.util.TreeMap<Long, Planned> running = new java.util.TreeMap<>();

    /**
     * The `seeds` profile (rfc-v1): `pmem_setup: {from_namespace}` is the probe of a pfn-xen
     * namespace, where Dom0's kernel reports it to Xen, so the step goes to Dom0, not to xl.
     */
    private final boolean reportAtProbe;

    public ScenarioDriver(Scenario scenario) {
        this.plan = plan(scenario);
        this.expected = scenario.getExpect().getStepFailuresList();
        this.reportAtProbe = !"rfc-v4".equals(scenario.getDesign().getProfile());
    }

    /** The scenario's steps as they run (see {@link #plan}), without their numbers. */
    public static List<Step> expand(Scenario scenario) {
        List<Step> out = new ArrayList<>();
        for (Planned p : plan(scenario)) out.add(p.action());
        return out;
    }

    /**
     * The scenario's steps as they run: a step with count N becomes N instances with "%d" replaced
     * by 1..N, and a domain's `qemu` options become libxl's device_model_args.
     */
    public static List<Planned> plan(Scenario scenario) {
        List<Planned> out = new ArrayList<>();
        int number = 0;
        int group = 0;
        for (Step s : scenario.getStepsList()) {
            number++;
            if (s.hasConcurrently()) {
                List<Step> together = s.getConcurrently().getStepsList();
                if (out.size() + together.size() > MAX_STEPS) throw new IllegalArgumentException("scenario expands to more than " + MAX_STEPS + " steps");
                group++;
                for (int i = 0; i < together.size(); i++) out.add(new Planned(number, i + 1, instance(together.get(i), "1"), group));
                continue;
            }
            int count = switch (s.getActionCase()) {
                case FILE -> s.getFile().getCount();
                case XL_CREATE -> s.getXlCreate().getCount();
                default -> 0;
            };
            int n = Math.max(1, count);
            if (out.size() + n > MAX_STEPS) throw new IllegalArgumentException("scenario expands to more than " + MAX_STEPS + " steps");
            for (int i = 1; i <= n; i++) out.add(new Planned(number, count > 1 ? i : 0, instance(s, Integer.toString(i)), ++group));
        }
        return out;
    }

    private static Step instance(Step s, String k) {
        return switch (s.getActionCase()) {
            case FILE -> s.toBuilder().setFile(s.getFile().toBuilder().setCount(0).setPath(s.getFile().getPath().replace("%d", k))).build();
            case XL_CREATE -> {
                DomainConfig.Builder d = s.getXlCreate().getDomain().toBuilder();
                d.setName(d.getName().replace("%d", k)).setQemu(d.getQemu().replace("%d", k));
                for (int v = 0; v < d.getVnvdimmsCount(); v++) {
                    d.setVnvdimms(v, d.getVnvdimms(v).toBuilder().setFile(d.getVnvdimms(v).getFile().replace("%d", k)));
                }
                if (!d.getQemu().isBlank()) d.clearDeviceModelArgs().addAllDeviceModelArgs(QemuArgs.split(d.getQemu()));
                yield s.toBuilder().setXlCreate(s.getXlCreate().toBuilder().setCount(0).setDomain(d)).build();
            }
            case POWER_ON, NDCTL, PMEM_SETUP, MKFS, HOTPLUG_DIMM, NVDIMM_HOTPLUG, NVDIMM_UNPLUG, FS, GUEST_IO, POWER_CYCLE, MOUNT -> s;
            case CONCURRENTLY -> throw new IllegalArgumentException("a concurrently step inside another");
            case ACTION_NOT_SET -> throw new IllegalArgumentException("a step has no action");
        };
    }

    /** The command as the operator types it, for messages and the summary. */
    public static String command(Step s) {
        return switch (s.getActionCase()) {
            case POWER_ON -> "power on";
            case NDCTL -> "ndctl create-namespace --region=" + s.getNdctl().getRegion() + " --mode=" + s.getNdctl().getMode()
                    + (s.getNdctl().getMap().isEmpty() ? "" : " --map=" + s.getNdctl().getMap());
            case PMEM_SETUP -> s.getPmemSetup().getFromNamespace().isEmpty()
                    ? String.format(java.util.Locale.ROOT, "xl pmem-setup -m %#x %#x && xl pmem-setup -d %#x %#x %#x %#x", s.getPmemSetup().getMgmtSmfn(),
                            s.getPmemSetup().getMgmtEmfn(), s.getPmemSetup().getDataSmfn(), s.getPmemSetup().getDataEmfn(),
                            s.getPmemSetup().getMgmtSmfn(), s.getPmemSetup().getMgmtEmfn())
                    : "probe " + s.getPmemSetup().getFromNamespace() + " (XENPF_pmem_add)";
            case MKFS -> "mkfs." + s.getMkfs().getType() + " " + s.getMkfs().getDev() + " && mount -o dax " + s.getMkfs().getDev() + " " + s.getMkfs().getMount();
            case FILE -> (s.getFile().getExtentSizeBytes() > 0 ? "xfs_io -f -c 'extsize " + org.vnvdimm.sim.record.TraceFormatter.xfsIoSize(s.getFile().getExtentSizeBytes()) + "' " + s.getFile().getPath() + " && " : "")
                    + "fallocate -l " + s.getFile().getSizeBytes() + " " + s.getFile().getPath();
            case XL_CREATE -> "xl create " + s.getXlCreate().getDomain().getName();
            case HOTPLUG_DIMM -> String.format(java.util.Locale.ROOT, "hot-add DIMM handle %#x at spa %#x", s.getHotplugDimm().getHandle(), s.getHotplugDimm().getSpa());
            case NVDIMM_HOTPLUG -> "xl qemu-monitor-command " + s.getNvdimmHotplug().getDomain() + " device_add nvdimm (" + s.getNvdimmHotplug().getFile() + ")";
            case NVDIMM_UNPLUG -> "xl qemu-monitor-command " + s.getNvdimmUnplug().getDomain() + " device_del (slot " + s.getNvdimmUnplug().getSlot() + ")";
            case FS -> fsCommand(s.getFs());
            case GUEST_IO -> String.format(java.util.Locale.ROOT, "in %s: %s vNVDIMM %d offset %d length %d", s.getGuestIo().getDomain(), s.getGuestIo().getOp(),
                    s.getGuestIo().getVnvdimm(), s.getGuestIo().getOffsetBytes(), s.getGuestIo().getLengthBytes());
            case POWER_CYCLE -> "power cycle (pull the plug)";
            case MOUNT -> "mount -t " + s.getMount().getType() + " -o dax " + s.getMount().getDev() + " " + s.getMount().getMount();
            case CONCURRENTLY -> "concurrently";
            case ACTION_NOT_SET -> "(none)";
        };
    }

    /** An fs step as the admin types it in Dom0. */
    public static String fsCommand(org.vnvdimm.proto.FsStep f) {
        String p = f.getPath();
        return switch (f.getOp()) {
            case "reflink" -> "cp --reflink=always " + p + " " + f.getTo();
            case "write" -> String.format(java.util.Locale.ROOT, "pwrite %s offset %d length %d (pattern %d)", p, f.getOffsetBytes(), f.getLengthBytes(), f.getPatternSeed());
            case "punch_hole" -> String.format(java.util.Locale.ROOT, "fallocate -p -o %d -l %d %s", f.getOffsetBytes(), f.getLengthBytes(), p);
            case "truncate", "extend" -> String.format(java.util.Locale.ROOT, "truncate -s %d %s", f.getLengthBytes(), p);
            case "defrag" -> "xfs_fsr -v " + p;
            case "remount" -> "umount " + p + " && mount -o dax " + p;
            default -> "fs " + f.getOp() + " " + p;
        };
    }

    /** Whether the operator waits for the command's exit status (pressing a button or plugging a DIMM has none). */
    private static boolean answers(Step s) {
        return s.getActionCase() != Step.ActionCase.POWER_ON && s.getActionCase() != Step.ActionCase.HOTPLUG_DIMM
                && s.getActionCase() != Step.ActionCase.POWER_CYCLE;
    }

    @Override
    public List<Envelope.Builder> next() {
        closeRunning();
        if (next >= plan.size()) return List.of();
        int group = plan.get(next).group();
        List<Envelope.Builder> out = new ArrayList<>();
        while (next < plan.size() && plan.get(next).group() == group) {
            Planned p = plan.get(next++);
            long tag = tag(p.step(), p.instance());
            if (answers(p.action())) running.put(tag, p);
            out.add(inject(p, Envelope.newBuilder().setTag(tag), reportAtProbe));
        }
        return out;
    }

    private static Envelope.Builder inject(Planned p, Envelope.Builder base, boolean reportAtProbe) {
        Step s = p.action();
        // A switch expression: a step type added to the proto without a case here does not compile.
        return switch (s.getActionCase()) {
            case POWER_ON -> base.setTo(Roles.PLATFORM).setPowerOn(s.getPowerOn());
            case HOTPLUG_DIMM -> base.setTo(Roles.PLATFORM).setHotplugDimm(s.getHotplugDimm());
            case NDCTL -> base.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setNdctlCreateNamespace(s.getNdctl()));
            case MKFS -> base.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setMkfs(s.getMkfs()));
            case FILE -> base.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setCreateFile(s.getFile()));
            case PMEM_SETUP -> base.setTo(reportAtProbe && !s.getPmemSetup().getFromNamespace().isEmpty() ? Roles.DOM0 : Roles.XL).setAdminCommand(AdminCommand.newBuilder().setXlPmemSetup(s.getPmemSetup()));
            case XL_CREATE -> base.setTo(Roles.XL).setAdminCommand(AdminCommand.newBuilder().setXlCreate(s.getXlCreate()));
            case NVDIMM_HOTPLUG -> base.setTo(Roles.XL).setAdminCommand(AdminCommand.newBuilder().setNvdimmHotplug(s.getNvdimmHotplug()));
            case NVDIMM_UNPLUG -> base.setTo(Roles.XL).setAdminCommand(AdminCommand.newBuilder().setNvdimmUnplug(s.getNvdimmUnplug()));
            case FS -> base.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setFs(s.getFs()));
            case GUEST_IO -> base.setTo(Roles.XL).setAdminCommand(AdminCommand.newBuilder().setGuestIo(s.getGuestIo()));
            case MOUNT -> base.setTo(Roles.DOM0).setAdminCommand(AdminCommand.newBuilder().setMount(s.getMount()));
            case POWER_CYCLE, CONCURRENTLY, ACTION_NOT_SET -> throw new IllegalStateException("step " + p.step() + " cannot be injected as it is");
        };
    }

    @Override
    public String powerCycle() {
        if (next >= plan.size() || !plan.get(next).action().hasPowerCycle()) return null;
        closeRunning();
        Planned p = plan.get(next++);
        return "step " + p.step() + ": power cycle: the plug is pulled";
    }

    /** The system went quiet: a command that never answered has failed. */
    private void closeRunning() {
        for (Planned p : running.values()) {
            outcomes.add(outcome(p, Errno.ETIMEDOUT.neg(), "no answer: the system went quiet before the command finished", 0));
        }
        running.clear();
    }

    /** Called once the run has ended (all steps injected or the step bound hit). */
    public void end() { closeRunning(); }

    @Override
    public List<Envelope.Builder> onAdminDelivery(Envelope e) {
        if (!e.hasAdminResult()) return List.of();
        Planned p = running.remove(e.getTag());
        if (p == null) {
            // Not a command in progress: a second answer, or an answer nobody asked for.
            outcomes.add(StepOutcome.newBuilder().setStep((int) (e.getTag() >>> INSTANCE_BITS)).setCommand("(answer from " + e.getFrom() + ")")
                    .setRc(Errno.EINVAL.neg()).setErrno("EINVAL").setOutput("an answer to no command in progress (tag " + stepOfTag(e.getTag()) + ")")
                    .setSeq(e.getSeq()).build());
            return List.of();
        }
        AdminResult r = e.getAdminResult();
        outcomes.add(outcome(p, r.getRc(), r.getOutput(), e.getSeq()));
        return List.of();
    }

    private StepOutcome outcome(Planned p, int rc, String output, long seq) {
        StepOutcome.Builder b = StepOutcome.newBuilder().setStep(p.step()).setInstance(p.instance())
                .setCommand(command(p.action())).setRc(rc).setOutput(output).setSeq(seq);
        if (rc < 0) {
            String name = Errno.name(rc);
            b.setErrno(name.startsWith("-") ? name.substring(1) : name);
            for (ExpectedStepFailure x : expected) {
                if (x.getStep() == p.step() && x.getErrno().equals(b.getErrno())) b.setExpected(true);
            }
        }
        return b.build();
    }

    /** What every answering step got back, in order. */
    public List<StepOutcome> outcomes() { return outcomes; }

    /** How many steps were injected. */
    public int stepsRun() { return next; }

    @Override
    public int lastStep() { return next == 0 ? 0 : plan.get(next - 1).step(); }
}
