package org.vnvdimm.qemu.acpi;

/**
 * A QEMU command line that QEMU itself would refuse, or that this model does not cover. {@link #option()}
 * is the option as the user wrote it (e.g. "-device nvdimm,id=dimm1,memdev=nvm0,label-size=64K"),
 * {@link #property()} the offending property inside it (e.g. "label-size", empty when the whole option is
 * at fault) and {@link #qemuMessage()} the text QEMU prints after "qemu-system-x86_64: &lt;option&gt;: ".
 */
public final class QemuOptionException extends RuntimeException {
    private final String option;
    private final String property;
    private final String qemuMessage;

    public QemuOptionException(String option, String property, String qemuMessage) {
        super(option + ": " + qemuMessage);
        this.option = option;
        this.property = property == null ? "" : property;
        this.qemuMessage = qemuMessage;
    }

    public String option() {
        return option;
    }

    public String property() {
        return property;
    }

    public String qemuMessage() {
        return qemuMessage;
    }
}
