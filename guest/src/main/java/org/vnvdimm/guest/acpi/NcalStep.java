package org.vnvdimm.guest.acpi;

/** What NCAL does with a request: answer at once, or fill the page and trap to QEMU. */
public sealed interface NcalStep {

    /**
     * NCAL returned without trapping (MEMA is 0 or the UUID does not match the handle): a one-byte
     * buffer, 0x00 for function 0 and 0x01 ("not supported") otherwise.
     */
    record Immediate(byte[] result) implements NcalStep {
        public Immediate {
            result = result.clone();
        }

        @Override
        public byte[] result() {
            return result.clone();
        }
    }

    /** NCAL filled the DSM page at {@code pageAddr} and writes that address to the trap register. */
    record Trap(long pageAddr, byte[] page) implements NcalStep {
        public Trap {
            page = page.clone();
        }

        @Override
        public byte[] page() {
            return page.clone();
        }
    }
}
