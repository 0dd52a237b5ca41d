//! Parameter values packed into a cbuffer's bytes at the offsets reflection gave (HLSL packing rules).

use std::collections::BTreeMap;

use crate::shader::{Parameter, UniformBuffer};

use super::GpuError;

/// A value as the caller gave it, before it is checked against the parameter's type.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Number(f64),
    Bool(bool),
    List(Vec<f64>),
    /// Anything else; the text names its type for the error message ("str", "dict", …).
    Unsupported(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Float,
    Int,
    Uint,
    Bool,
}

/// Base type and component count of an HLSL type name: "float3" → (Float, 3).
fn parse_type(ty: &str) -> Option<(Scalar, usize)> {
    let (scalar, rest) = [
        ("float", Scalar::Float),
        ("half", Scalar::Float),
        ("uint", Scalar::Uint),
        ("int", Scalar::Int),
        ("bool", Scalar::Bool),
    ]
    .iter()
    .find_map(|(name, scalar)| ty.strip_prefix(name).map(|rest| (*scalar, rest)))?;
    match rest {
        "" => Some((scalar, 1)),
        "2" | "3" | "4" => Some((scalar, rest.parse().ok()?)),
        _ => None,
    }
}

/// Bytes from one array element to the next: HLSL packing starts each element in a new 16-byte register.
fn stride(elements: usize, components: usize) -> usize {
    if elements > 1 {
        16
    } else {
        components * 4
    }
}

/// One value of a batch that was refused; nothing of the batch was set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct BatchError {
    /// The parameter name as the caller gave it.
    pub name: String,
    pub error: GpuError,
}

/// Sets every value of `values` or none: each is checked against its parameter (in whichever of `blocks`
/// holds it) before any is written, so one bad value leaves every block as it was. `unknown` makes the error
/// for a name no block holds.
pub fn set_all(
    blocks: &mut [ParamBlock],
    values: &[(String, ParamValue)],
    unknown: impl Fn(&str) -> GpuError,
) -> Result<(), BatchError> {
    let refuse = |name: &str, error: GpuError| BatchError { name: name.to_owned(), error };
    let mut checked = Vec::with_capacity(values.len());
    for (name, value) in values {
        let Some(at) = blocks.iter().position(|block| block.has(name)) else {
            return Err(refuse(name, unknown(name)));
        };
        let (parameter, numbers) = blocks[at].check(name, value).map_err(|e| refuse(name, e))?;
        checked.push((at, parameter, numbers));
    }
    for (at, parameter, numbers) in checked {
        blocks[at].write(&parameter, &numbers).map_err(|e| refuse(&parameter.name, e))?;
    }
    Ok(())
}

/// One cbuffer's bytes and the parameters living in it.
#[derive(Debug, Clone)]
pub struct ParamBlock {
    pub effect: String,
    pub buffer: UniformBuffer,
    parameters: Vec<Parameter>,
    bytes: Vec<u8>,
    values: BTreeMap<String, Vec<f64>>,
}

impl ParamBlock {
    /// A block holding every parameter's `@default` (zeros where there is none).
    pub fn new(effect: &str, buffer: &UniformBuffer, parameters: &[Parameter]) -> Result<ParamBlock, GpuError> {
        let mine: Vec<Parameter> = parameters.iter().filter(|p| p.buffer == buffer.name).cloned().collect();
        // Uniform buffers are bound in 16-byte units.
        let size = (buffer.size.max(16) as usize).div_ceil(16) * 16;
        let mut block = ParamBlock {
            effect: effect.to_owned(),
            buffer: buffer.clone(),
            parameters: mine.clone(),
            bytes: vec![0; size],
            values: BTreeMap::new(),
        };
        for parameter in &mine {
            if parse_type(&parameter.ty).is_some() {
                block.write(parameter, &parameter.default)?;
            }
        }
        Ok(block)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn has(&self, name: &str) -> bool {
        self.parameters.iter().any(|p| p.name == name)
    }

    pub fn values(&self) -> &BTreeMap<String, Vec<f64>> {
        &self.values
    }

    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    pub fn set(&mut self, name: &str, value: &ParamValue) -> Result<(), GpuError> {
        let (parameter, values) = self.check(name, value)?;
        self.write(&parameter, &values)
    }

    /// The parameter `name` and the numbers `value` stands for, or why it does not fit; changes nothing.
    fn check(&self, name: &str, value: &ParamValue) -> Result<(Parameter, Vec<f64>), GpuError> {
        let Some(parameter) = self.parameters.iter().find(|p| p.name == name).cloned() else {
            let known: Vec<&str> = self.parameters.iter().map(|p| p.name.as_str()).collect();
            return Err(GpuError::Effect {
                effect: self.effect.clone(),
                message: format!("no parameter '{name}' (parameters: {})", known.join(", ")),
            });
        };
        let error =
            |message: String| GpuError::Parameter { effect: self.effect.clone(), parameter: name.to_owned(), message };
        let Some((scalar, components)) = parse_type(&parameter.ty) else {
            return Err(error(format!("has type {} which cannot be set from Python yet", parameter.ty)));
        };
        let count = components * parameter.array_len.unwrap_or(1) as usize;
        let expected = match (parameter.array_len, components) {
            (Some(n), _) => format!("{}[{n}] ({count} numbers)", parameter.ty),
            (None, 1) => parameter.ty.clone(),
            (None, _) => format!("{} ({count} numbers)", parameter.ty),
        };
        let values: Vec<f64> = match value {
            ParamValue::Number(v) if count == 1 => vec![*v],
            ParamValue::Bool(b) if count == 1 => vec![f64::from(u8::from(*b))],
            ParamValue::Number(v) if parameter.array_len.is_none() && scalar == Scalar::Float => vec![*v; count],
            ParamValue::List(list) if list.len() == count => list.clone(),
            ParamValue::List(list) => return Err(error(format!("expects {expected}, got {} numbers", list.len()))),
            ParamValue::Number(_) | ParamValue::Bool(_) => {
                return Err(error(format!("expects {expected}, got a single value")))
            }
            ParamValue::Unsupported(kind) => return Err(error(format!("expects {expected}, got {kind}"))),
        };
        if matches!(scalar, Scalar::Int | Scalar::Uint) && values.iter().any(|v| v.fract() != 0.0) {
            return Err(error(format!("expects {expected} (whole numbers), got {values:?}")));
        }
        if scalar == Scalar::Uint && values.iter().any(|v| *v < 0.0) {
            return Err(error(format!("expects {expected} (not negative), got {values:?}")));
        }
        let elements = parameter.array_len.unwrap_or(1) as usize;
        let end =
            parameter.offset as usize + elements.saturating_sub(1) * stride(elements, components) + components * 4;
        if end > self.bytes.len() {
            return Err(error(format!("lies outside its cbuffer ({} bytes)", self.bytes.len())));
        }
        Ok((parameter, values))
    }

    fn write(&mut self, parameter: &Parameter, values: &[f64]) -> Result<(), GpuError> {
        let Some((scalar, components)) = parse_type(&parameter.ty) else { return Ok(()) };
        let elements = parameter.array_len.unwrap_or(1) as usize;
        let stride = stride(elements, components);
        for element in 0..elements {
            for component in 0..components {
                let value = values.get(element * components + component).copied().unwrap_or(0.0);
                let at = parameter.offset as usize + element * stride + component * 4;
                let word = match scalar {
                    Scalar::Float => (value as f32).to_le_bytes(),
                    Scalar::Int => (value as i32).to_le_bytes(),
                    Scalar::Uint => (value as u32).to_le_bytes(),
                    Scalar::Bool => u32::from(value != 0.0).to_le_bytes(),
                };
                let Some(slot) = self.bytes.get_mut(at..at + 4) else {
                    return Err(GpuError::Parameter {
                        effect: self.effect.clone(),
                        parameter: parameter.name.clone(),
                        message: format!("lies outside its cbuffer ({} bytes)", self.bytes.len()),
                    });
                };
                slot.copy_from_slice(&word);
            }
        }
        self.values.insert(parameter.name.clone(), values.to_vec());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shader::{Member, ParamKind};

    fn parameter(name: &str, ty: &str, offset: u32, default: Vec<f64>) -> Parameter {
        Parameter {
            name: name.into(),
            ty: ty.into(),
            buffer: "Params".into(),
            offset,
            size: 4,
            array_len: None,
            default,
            min: None,
            max: None,
            kind: ParamKind::Number,
        }
    }

    fn block(parameters: &[Parameter]) -> ParamBlock {
        let buffer =
            UniformBuffer { name: "Params".into(), set: 0, binding: 0, size: 48, members: Vec::<Member>::new() };
        ParamBlock::new("tint", &buffer, parameters).unwrap()
    }

    #[test]
    fn defaults_are_packed_at_hlsl_offsets() {
        let b = block(&[
            parameter("strength", "float", 0, vec![0.5]),
            parameter("tint", "float3", 4, vec![1.0, 0.0, 0.25]),
        ]);
        let floats: Vec<f32> = b.bytes().chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        assert_eq!(&floats[..4], &[0.5, 1.0, 0.0, 0.25]);
        assert_eq!(b.bytes().len(), 48);
    }

    #[test]
    fn type_errors_name_effect_parameter_and_type() {
        let mut b = block(&[
            parameter("radius", "float", 0, vec![1.0]),
            parameter("tint", "float3", 4, vec![0.0; 3]),
            parameter("n", "int", 16, vec![0.0]),
        ]);
        let err = b.set("radius", &ParamValue::Unsupported("str".into())).unwrap_err();
        assert_eq!(err.to_string(), "effect 'tint': parameter 'radius' expects float, got str");
        let err = b.set("tint", &ParamValue::List(vec![1.0, 2.0])).unwrap_err();
        assert_eq!(err.to_string(), "effect 'tint': parameter 'tint' expects float3 (3 numbers), got 2 numbers");
        assert!(b.set("n", &ParamValue::Number(1.5)).unwrap_err().to_string().contains("whole numbers"));
        let err = b.set("radiu", &ParamValue::Number(1.0)).unwrap_err();
        assert_eq!(err.to_string(), "effect 'tint': no parameter 'radiu' (parameters: radius, tint, n)");
    }

    #[test]
    fn scalars_broadcast_to_float_vectors_and_bools_pack_as_words() {
        let mut b = block(&[parameter("tint", "float3", 0, vec![0.0; 3]), parameter("on", "bool", 12, vec![0.0])]);
        b.set("tint", &ParamValue::Number(0.5)).unwrap();
        b.set("on", &ParamValue::Bool(true)).unwrap();
        assert_eq!(b.values()["tint"], vec![0.5; 3]);
        assert_eq!(&b.bytes()[12..16], &1u32.to_le_bytes());
    }

    #[test]
    fn array_elements_start_new_registers() {
        let mut weights = parameter("w", "float", 0, vec![0.0; 3]);
        weights.array_len = Some(3);
        let mut b = block(&[weights]);
        b.set("w", &ParamValue::List(vec![1.0, 2.0, 3.0])).unwrap();
        assert_eq!(&b.bytes()[16..20], &2.0f32.to_le_bytes());
        assert_eq!(&b.bytes()[32..36], &3.0f32.to_le_bytes());
    }

    /// A block's bytes and values.
    type Snapshot = (Vec<u8>, BTreeMap<String, Vec<f64>>);

    #[test]
    fn a_batch_with_one_bad_value_changes_nothing() {
        let mut blocks = vec![
            block(&[parameter("radius", "float", 0, vec![1.0]), parameter("tint", "float3", 4, vec![0.0; 3])]),
            block(&[parameter("gain", "float", 0, vec![2.0])]),
        ];
        let snapshot = |blocks: &[ParamBlock]| -> Vec<Snapshot> {
            blocks.iter().map(|b| (b.bytes().to_vec(), b.values().clone())).collect()
        };
        let before = snapshot(&blocks);
        let unknown =
            |name: &str| GpuError::Effect { effect: "tint".into(), message: format!("no parameter '{name}'") };
        let batch = |items: &[(&str, ParamValue)]| -> Vec<(String, ParamValue)> {
            items.iter().map(|(n, v)| (n.to_string(), v.clone())).collect()
        };
        let bad_type = batch(&[
            ("radius", ParamValue::Number(3.0)),
            ("gain", ParamValue::Number(4.0)),
            ("tint", ParamValue::List(vec![1.0, 2.0])),
        ]);
        let err = set_all(&mut blocks, &bad_type, unknown).unwrap_err();
        assert_eq!(err.name, "tint");
        assert_eq!(err.to_string(), "effect 'tint': parameter 'tint' expects float3 (3 numbers), got 2 numbers");
        let bad_name = batch(&[("radius", ParamValue::Number(3.0)), ("radiu", ParamValue::Number(1.0))]);
        assert_eq!(
            set_all(&mut blocks, &bad_name, unknown).unwrap_err().to_string(),
            "effect 'tint': no parameter 'radiu'"
        );
        assert_eq!(snapshot(&blocks), before);
        let good = batch(&[("radius", ParamValue::Number(3.0)), ("gain", ParamValue::Number(4.0))]);
        set_all(&mut blocks, &good, unknown).unwrap();
        assert_eq!((blocks[0].values()["radius"].clone(), blocks[1].values()["gain"].clone()), (vec![3.0], vec![4.0]));
    }
}
