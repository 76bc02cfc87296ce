#!/usr/bin/env python3
"""Reference HRV values for crates/ecg-analysis/src/hrv.rs (tests::matches_numpy_and_scipy).

Run: /work/venv/bin/python testdata/analysis/hrv_reference.py  (numpy, scipy)
"""
import numpy as np
from scipy.signal import welch
N=600
t=0.0; T=[]; NN=[]
for k in range(N):
    nn = 800 + 40*np.sin(2*np.pi*0.1*t) + 25*np.sin(2*np.pi*0.25*t) + 30*(((k*7919) % 97)/97 - 0.5)
    t += nn/1000; T.append(t); NN.append(nn)
T=np.array(T); NN=np.array(NN)
d=np.diff(NN)
print("mean", repr(NN.mean()), "sdnn", repr(NN.std(ddof=1)), "rmssd", repr(np.sqrt(np.mean(d**2))), "pnn50", repr(100*np.mean(np.abs(d)>50)))
sd1=np.sqrt(np.var(d,ddof=1)/2); sd2=np.sqrt(2*NN.var(ddof=1)-np.var(d,ddof=1)/2)
print("sd1", repr(sd1), "sd2", repr(sd2))
b=1000/128; h=np.bincount((np.floor(NN/b)-np.floor(NN.min()/b)).astype(int))
print("tri", repr(N/h.max()))
fs=4.0; n=int(np.floor((T[-1]-T[0])*fs))+1
grid=T[0]+np.arange(n)/fs
x=np.interp(grid,T,NN)
seg=1
while seg*2<=n and seg*2<=2**14: seg*=2
f,p=welch(x,fs=fs,window='hann',nperseg=seg,noverlap=seg//2,detrend='linear',scaling='density')
df=fs/seg
band=lambda lo,hi: p[(f>=lo)&(f<hi)].sum()*df
print("seg", seg, "vlf", repr(band(0.003,0.04)), "lf", repr(band(0.04,0.15)), "hf", repr(band(0.15,0.4)))
def dfa(x, lo, hi):
    y=np.cumsum(x-x.mean()); ls=[]; lf=[]
    for s in range(lo,hi+1):
        nb=len(y)//s; ss=0
        for i in range(nb):
            seg_=y[i*s:(i+1)*s]; tt=np.arange(s)
            c=np.polyfit(tt,seg_,1); ss+=np.sum((seg_-np.polyval(c,tt))**2)
        ls.append(np.log(s)); lf.append(np.log(np.sqrt(ss/(nb*s))))
    return np.polyfit(ls,lf,1)[0]
print("a1", repr(dfa(NN,4,16)), "a2", repr(dfa(NN,16,64)))
def sampen(x,m,r):
    n=len(x); tN=n-m
    B=A=0
    for i in range(tN):
        for j in range(i+1,tN):
            if np.max(np.abs(x[i:i+m]-x[j:j+m]))<=r:
                B+=1
                if abs(x[i+m]-x[j+m])<=r: A+=1
    return -np.log(A/B), A, B
print("sampen", sampen(NN,2,0.2*NN.std(ddof=1)))
