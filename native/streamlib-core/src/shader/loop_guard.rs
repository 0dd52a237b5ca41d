//! Bounds every loop of a shader, so that a pass ends even when an effect loops for billions of iterations.
//!
//! A GPU cannot preempt a draw, and a CPU driver (lavapipe) has no timeout at all: a pass that loops 4e9
//! times per pixel would hold the frame loop, and the driver lock every other runtime waits on, for hours.
//! Each loop header counts its iterations in one per-invocation counter (a `Private` variable) shared by
//! every loop of the shader, and branches to the loop's merge block once the count passes the limit. The
//! pass then ends in bounded time, and the frame watchdog (`graph::watchdog`) sees it was slow and bypasses
//! the effect. Shaders that stay under the limit compute exactly what they did.

use rspirv::binary::Assemble;
use rspirv::dr::{Builder, Instruction, Operand};
use rspirv::spirv::{Op, StorageClass, Word};

/// Loop iterations one invocation (a pixel) may run, summed over all its loops. Far above what a
/// real-time effect runs (a 256-step ray march with a 6-octave noise per step is ~1,800).
pub const LOOP_ITERATION_LIMIT: u32 = 1 << 16;

/// SPIR-V 1.4 made every global an entry point uses part of its interface, Private ones included.
const VERSION_WITH_FULL_INTERFACE: Word = 0x0001_0400;

/// The shader with every loop bounded to `limit` iterations per invocation, and how many loops it bounded.
pub fn bound_loops(spirv: &[u32], limit: u32) -> Result<(Vec<u32>, usize), String> {
    let module = rspirv::dr::load_words(spirv).map_err(|e| format!("cannot read the SPIR-V: {e}"))?;
    let has_loops = module
        .functions
        .iter()
        .flat_map(|f| &f.blocks)
        .any(|b| b.instructions.iter().any(|i| i.class.opcode == Op::LoopMerge));
    if !has_loops {
        return Ok((spirv.to_vec(), 0));
    }
    let mut builder = Builder::new_from_module(module);
    let uint = builder.type_int(32, 0);
    let boolean = builder.type_bool();
    let zero = builder.constant_bit32(uint, 0);
    let one = builder.constant_bit32(uint, 1);
    let most = builder.constant_bit32(uint, limit);
    let pointer = builder.type_pointer(None, StorageClass::Private, uint);
    let counter = builder.variable(pointer, None, StorageClass::Private, Some(zero));
    let mut module = builder.module();
    let header = module.header.as_mut().ok_or("the SPIR-V has no header")?;
    let full_interface = header.version >= VERSION_WITH_FULL_INTERFACE;
    let mut next_id = header.bound;
    let mut fresh = || {
        next_id += 1;
        next_id - 1
    };
    for entry in module.entry_points.iter_mut().filter(|_| full_interface) {
        entry.operands.push(Operand::IdRef(counter));
    }
    let mut bounded = 0;
    for block in module.functions.iter_mut().flat_map(|f| f.blocks.iter_mut()) {
        let Some(at) = block.instructions.iter().position(|i| i.class.opcode == Op::LoopMerge) else { continue };
        let merge = id_operand(&block.instructions[at], 0)?;
        let (count, counted, tripped) = (fresh(), fresh(), fresh());
        let mut guard = vec![
            Instruction::new(Op::Load, Some(uint), Some(count), vec![Operand::IdRef(counter)]),
            Instruction::new(Op::IAdd, Some(uint), Some(counted), vec![Operand::IdRef(count), Operand::IdRef(one)]),
            Instruction::new(Op::Store, None, None, vec![Operand::IdRef(counter), Operand::IdRef(counted)]),
            Instruction::new(
                Op::UGreaterThan,
                Some(boolean),
                Some(tripped),
                vec![Operand::IdRef(counted), Operand::IdRef(most)],
            ),
        ];
        // OpLoopMerge must stay second to last, right before the branch it annotates.
        let terminator = block.instructions.last_mut().ok_or("a loop header has no terminator")?;
        match terminator.class.opcode {
            Op::Branch => {
                let target = id_operand(terminator, 0)?;
                *terminator = Instruction::new(
                    Op::BranchConditional,
                    None,
                    None,
                    vec![Operand::IdRef(tripped), Operand::IdRef(merge), Operand::IdRef(target)],
                );
            }
            Op::BranchConditional => {
                let (condition, if_true, if_false) =
                    (id_operand(terminator, 0)?, id_operand(terminator, 1)?, id_operand(terminator, 2)?);
                let leave = fresh();
                if if_true == merge {
                    guard.push(Instruction::new(
                        Op::LogicalOr,
                        Some(boolean),
                        Some(leave),
                        vec![Operand::IdRef(condition), Operand::IdRef(tripped)],
                    ));
                } else if if_false == merge {
                    let carry_on = fresh();
                    guard.push(Instruction::new(
                        Op::LogicalNot,
                        Some(boolean),
                        Some(carry_on),
                        vec![Operand::IdRef(tripped)],
                    ));
                    guard.push(Instruction::new(
                        Op::LogicalAnd,
                        Some(boolean),
                        Some(leave),
                        vec![Operand::IdRef(condition), Operand::IdRef(carry_on)],
                    ));
                } else {
                    // A header choosing between two blocks inside the loop: glslang never emits one, and
                    // a valid shader must not be refused for it, so this loop stays as it was.
                    continue;
                }
                terminator.operands[0] = Operand::IdRef(leave);
            }
            other => return Err(format!("a loop header ends in Op{other:?}, not a branch")),
        }
        block.instructions.splice(at..at, guard);
        bounded += 1;
    }
    if let Some(header) = module.header.as_mut() {
        header.bound = next_id;
    }
    Ok((module.assemble(), bounded))
}

fn id_operand(instruction: &Instruction, index: usize) -> Result<Word, String> {
    match instruction.operands.get(index) {
        Some(Operand::IdRef(id)) => Ok(*id),
        _ => Err(format!("Op{:?} has no id operand {index}", instruction.class.opcode)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::spirv_patch::strip_source_debug_info;
    use crate::shader::test_support::{spirv_for, spirv_with};
    use crate::shader::types::Stage;

    const RUNAWAY: &str = r#"
float4 main(float2 uv : TEXCOORD0) : SV_Target {
    float acc = 0;
    for (uint i = 0; i < 4000000000u; i++) {
        acc = frac(acc * 1.37 + uv.x);
    }
    uint j = 0;
    while (acc < 2.0) { acc += 1e-9; j++; }
    return float4(acc, float(j), 0, 1);
}
"#;

    fn opcodes(spirv: &[u32], op: Op) -> usize {
        let module = rspirv::dr::load_words(spirv).unwrap();
        module
            .functions
            .iter()
            .flat_map(|f| &f.blocks)
            .flat_map(|b| &b.instructions)
            .filter(|i| i.class.opcode == op)
            .count()
    }

    /// Both validators the SPIR-V meets downstream: Khronos' spirv-val (drivers' contract) and naga (wgpu).
    fn assert_valid(spirv: &[u32]) {
        let bytes: Vec<u8> = spirv.iter().flat_map(|w| w.to_le_bytes()).collect();
        let module = naga::front::spv::parse_u8_slice(&bytes, &naga::front::spv::Options::default())
            .unwrap_or_else(|e| panic!("naga cannot read the bounded module: {e:?}"));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
            .validate(&module)
            .unwrap_or_else(|e| panic!("naga rejects the bounded module: {e:?}"));
        let path = std::env::temp_dir().join(format!("loop-guard-{}.spv", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let checked = std::process::Command::new("spirv-val")
            .args(["--target-env", "vulkan1.1"])
            .arg(&path)
            .output()
            .expect("spirv-val (Debian spirv-tools, installed by `make deps`)");
        let _ = std::fs::remove_file(&path);
        assert!(checked.status.success(), "spirv-val: {}", String::from_utf8_lossy(&checked.stderr));
    }

    #[test]
    fn every_loop_gets_a_guard_and_the_module_stays_valid() {
        for spirv in
            [spirv_for(RUNAWAY, Stage::Pixel), spirv_with(RUNAWAY, Stage::Pixel, shaderc::OptimizationLevel::Zero)]
        {
            // As in production: the debug lines go first (naga takes no OpLine among the types).
            let spirv = strip_source_debug_info(&spirv).unwrap();
            let (bounded, loops) = bound_loops(&spirv, LOOP_ITERATION_LIMIT).unwrap();
            assert_eq!(loops, 2);
            assert_eq!(opcodes(&bounded, Op::UGreaterThan), opcodes(&spirv, Op::UGreaterThan) + 2);
            assert_valid(&bounded);
        }
    }

    #[test]
    fn a_shader_without_loops_is_returned_as_it_was() {
        let spirv =
            spirv_for("float4 main(float2 uv : TEXCOORD0) : SV_Target { return float4(uv, 0, 1); }", Stage::Pixel);
        assert_eq!(bound_loops(&spirv, LOOP_ITERATION_LIMIT).unwrap(), (spirv, 0));
    }

    #[test]
    fn spirv_1_4_lists_the_counter_in_the_entry_point_interface() {
        let mut spirv = spirv_with(RUNAWAY, Stage::Pixel, shaderc::OptimizationLevel::Zero);
        spirv[1] = VERSION_WITH_FULL_INTERFACE;
        let (bounded, _) = bound_loops(&spirv, LOOP_ITERATION_LIMIT).unwrap();
        let (before, after) = (rspirv::dr::load_words(&spirv).unwrap(), rspirv::dr::load_words(&bounded).unwrap());
        assert_eq!(after.entry_points[0].operands.len(), before.entry_points[0].operands.len() + 1);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(bound_loops(&[0x0723_0203, 0x0001_0000, 0, 1], LOOP_ITERATION_LIMIT).is_err());
        assert!(bound_loops(&[1, 2, 3], LOOP_ITERATION_LIMIT).is_err());
    }
}
